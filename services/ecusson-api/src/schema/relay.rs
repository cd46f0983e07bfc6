//! Relay cursor connections (`XConnection`, `XEdge`, `PageInfo`), the same types, fields and
//! descriptions as `async_graphql::connection`'s, resolved field after field.
//!
//! async-graphql resolves the fields of a query's objects concurrently: for each object of an
//! answer it builds a `FuturesUnordered` of one boxed future per field, which is the right
//! thing for fields that wait on I/O. The fields of a page, its edges and its page info never
//! do: each is a value already in memory, so they are resolved here in order
//! (`#[graphql(serial)]`), and a 20-entry history page no longer builds 40 such sets. A node
//! type keeps its own way: one whose fields read the vault still resolves them concurrently.

use async_graphql::{Object, OutputType, SimpleObject, TypeName};
use std::borrow::Cow;

/// Information about pagination in a connection
#[derive(SimpleObject)]
#[graphql(serial)]
pub struct PageInfo {
    /// When paginating backwards, are there more items?
    pub has_previous_page: bool,

    /// When paginating forwards, are there more items?
    pub has_next_page: bool,

    /// When paginating backwards, the cursor to continue.
    pub start_cursor: Option<String>,

    /// When paginating forwards, the cursor to continue.
    pub end_cursor: Option<String>,
}

/// One page of a list, named after its node type (`RequestView` → `RequestViewConnection`).
pub struct Connection<Node> {
    has_previous_page: bool,
    has_next_page: bool,
    edges: Vec<Edge<Node>>,
}

impl<Node> Connection<Node> {
    /// A page without edges yet: `has_previous_page` when it starts after a cursor,
    /// `has_next_page` when more items follow its last.
    pub fn new(has_previous_page: bool, has_next_page: bool) -> Self {
        Self {
            has_previous_page,
            has_next_page,
            edges: Vec::new(),
        }
    }

    /// Appends the edges, in the page's order.
    pub fn extend(&mut self, edges: impl IntoIterator<Item = Edge<Node>>) {
        self.edges.extend(edges);
    }
}

#[Object(name_type, serial)]
impl<Node: OutputType> Connection<Node> {
    /// Information to aid in pagination.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.clone()),
        }
    }

    /// A list of edges.
    async fn edges(&self) -> &[Edge<Node>] {
        &self.edges
    }

    /// A list of nodes.
    async fn nodes(&self) -> Vec<&Node> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }
}

impl<Node: OutputType> TypeName for Connection<Node> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", Node::type_name()).into()
    }
}

/// An edge of a connection: a node and its cursor.
pub struct Edge<Node> {
    cursor: String,
    node: Node,
}

impl<Node> Edge<Node> {
    pub fn new(cursor: String, node: Node) -> Self {
        Self { cursor, node }
    }
}

/// An edge in a connection.
#[Object(name_type, serial)]
impl<Node: OutputType> Edge<Node> {
    /// The item at the end of the edge
    async fn node(&self) -> &Node {
        &self.node
    }

    /// A cursor for use in pagination
    async fn cursor(&self) -> &str {
        &self.cursor
    }
}

impl<Node: OutputType> TypeName for Edge<Node> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", Node::type_name()).into()
    }
}
