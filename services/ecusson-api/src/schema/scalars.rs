//! Output scalars of our own.

use async_graphql::parser::types::Field;
use async_graphql::registry::{MetaType, MetaTypeId, Registry};
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};
use std::borrow::Cow;

/// The `JSON` scalar (the same as `async_graphql::Json`'s), for a value already held as a
/// GraphQL value: answering it is a clone, where `Json<serde_json::Value>` serializes the value
/// through serde at every answer. A history page answers twenty of them, each read from its
/// JSON text straight into a GraphQL value.
pub struct JsonValue(pub Value);

impl OutputType for JsonValue {
    fn type_name() -> Cow<'static, str> {
        Cow::Borrowed("JSON")
    }

    fn create_type_info(registry: &mut Registry) -> String {
        registry.create_output_type::<Self, _>(MetaTypeId::Scalar, |_| MetaType::Scalar {
            name: "JSON".to_owned(),
            description: Some("A scalar that can represent any JSON value.".to_owned()),
            is_valid: None,
            visible: None,
            inaccessible: false,
            tags: Default::default(),
            specified_by_url: None,
            directive_invocations: Default::default(),
            requires_scopes: Default::default(),
        })
    }

    async fn resolve(
        &self,
        _ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        Ok(self.0.clone())
    }
}
