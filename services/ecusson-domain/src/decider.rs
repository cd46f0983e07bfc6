//! The decider pattern every aggregate follows, the role checks they share, and the
//! given / when / then harness their tests are written in.
//!
//! An aggregate is the state of one event stream inside one tenant. `decide` holds every rule of
//! the workflow and answers a command with the events it causes (or a refusal); `evolve` folds
//! one event into the state and holds no rule at all, so that replaying old events can never
//! fail because a rule changed since they were recorded.

use crate::events::DomainEvent;
use crate::model::{CommandContext, Role};
use crate::DomainError;

/// One event-sourced aggregate: the state of one stream inside a tenant.
///
/// Stream names are lowercase and use only `[a-z0-9-_:.]`: "network", "staff",
/// "pathway-<id>", "badge-class-<id>", "adoption-<badge class id>", "earner-<person id>". Each
/// aggregate has an inherent `stream_name` function that builds its name.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    type Command;

    /// Applies the rules: which events does `command` cause, given this state, this actor and
    /// this instant? Pure: no clock, no IO, no randomness (ids come in the command).
    fn decide(
        &self,
        command: &Self::Command,
        context: &CommandContext,
    ) -> Result<Vec<DomainEvent>, DomainError>;

    /// Folds one event into the state. Holds no rule; ignores events of other aggregates.
    fn evolve(self, event: &DomainEvent) -> Self;

    /// Rebuilds the state from the events of its stream, oldest first.
    fn from_events<'a>(events: impl IntoIterator<Item = &'a DomainEvent>) -> Self {
        events.into_iter().fold(Self::default(), Self::evolve)
    }
}

/// Refuses with [`DomainError::Forbidden`] unless the actor holds one of `roles`.
/// `what` completes the sentence "only ... may <what>".
pub(crate) fn require_any_role(
    context: &CommandContext,
    roles: &[Role],
    what: &str,
) -> Result<(), DomainError> {
    if context.actor.has_any_role(roles) {
        Ok(())
    } else {
        Err(DomainError::Forbidden(format!(
            "only {} may {what}",
            describe_roles(roles)
        )))
    }
}

pub(crate) fn describe_roles(roles: &[Role]) -> String {
    let names: Vec<String> = roles.iter().map(|role| format!("{role:?}")).collect();
    names.join(" or ")
}

/// Given / when / then over events: the form every domain test takes.
///
/// ```
/// use ecusson_domain::decider::given;
/// use ecusson_domain::staff::{Staff, StaffCommand};
/// # use ecusson_domain::*;
/// # let context = CommandContext {
/// #     actor: Actor { tenant_id: TenantId::new(), person_id: PersonId::new(), roles: vec![Role::StructureAdmin] },
/// #     now: chrono::Utc::now(),
/// # };
/// let person_id = PersonId::new();
/// given::<Staff>([])
///     .when(StaffCommand::Appoint { person_id, roles: vec![Role::Counsellor] }, &context)
///     .then([DomainEvent::StaffAppointed(events::StaffAppointed { person_id, roles: vec![Role::Counsellor] })]);
/// ```
pub fn given<A: Aggregate>(history: impl IntoIterator<Item = DomainEvent>) -> Given<A> {
    let history: Vec<DomainEvent> = history.into_iter().collect();
    Given {
        state: A::from_events(&history),
    }
}

/// The state built from the `given` history.
#[derive(Clone)]
pub struct Given<A: Aggregate> {
    pub state: A,
}

impl<A: Aggregate> Given<A> {
    pub fn when(self, command: A::Command, context: &CommandContext) -> Outcome<A> {
        let result = self.state.decide(&command, context);
        Outcome {
            state: self.state,
            result,
        }
    }
}

/// What `decide` answered, to be checked by `then` or `then_error`.
pub struct Outcome<A: Aggregate> {
    state: A,
    result: Result<Vec<DomainEvent>, DomainError>,
}

impl<A: Aggregate> Outcome<A> {
    /// Asserts the exact events, in order, and returns the state after them so that a test can
    /// go on querying it.
    #[track_caller]
    pub fn then(self, expected: impl IntoIterator<Item = DomainEvent>) -> A {
        let expected: Vec<DomainEvent> = expected.into_iter().collect();
        match self.result {
            Ok(events) => {
                assert_eq!(
                    events, expected,
                    "decide produced other events than expected"
                );
                events
                    .iter()
                    .fold(self.state, |state, event| state.evolve(event))
            }
            Err(error) => {
                panic!("expected events {expected:#?}\nbut the command was refused: {error}")
            }
        }
    }

    /// Asserts a refusal of the same kind as `expected`. When `expected` carries a non-empty
    /// message, the actual message must contain it: this pins down which rule refused.
    #[track_caller]
    pub fn then_error(self, expected: DomainError) {
        match self.result {
            Ok(events) => panic!("expected the refusal {expected:?}\nbut got events {events:#?}"),
            Err(actual) => {
                assert_eq!(
                    std::mem::discriminant(&actual),
                    std::mem::discriminant(&expected),
                    "refused with another kind of error: {actual:?}, expected {expected:?}"
                );
                let expected_fragment = error_message(&expected);
                assert!(
                    error_message(&actual).contains(expected_fragment),
                    "the refusal {actual:?} does not mention {expected_fragment:?}"
                );
            }
        }
    }
}

fn error_message(error: &DomainError) -> &str {
    match error {
        DomainError::InvalidInput(message)
        | DomainError::Forbidden(message)
        | DomainError::NotFound(message)
        | DomainError::RuleViolated(message) => message,
    }
}
