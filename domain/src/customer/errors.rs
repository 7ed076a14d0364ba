//! Why the aggregate refused a command. Every variant says which field is at
//! fault where there is one, so the HTTP edge can name it in the problem
//! details.

/// A refused command. These are business answers, never panics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerError {
    /// The customer id is not registered (nothing may happen to it yet).
    #[error("customer is not registered")]
    NotRegistered,
    /// Registration repeated with different details.
    #[error("customer is already registered with different details")]
    AlreadyRegistered,
    /// An id (transaction, payment, statement period …) was used before for a
    /// different fact.
    #[error("{field} {id} was already recorded with different details")]
    IdReused {
        /// The field that carries the id.
        field: &'static str,
        /// The reused id.
        id: String,
    },
    /// A report about an alert this customer never raised.
    #[error("alert {id} is not one of this customer's alerts")]
    UnknownAlert {
        /// The alert id given.
        id: String,
    },
    /// A field's value breaks a business rule.
    #[error("{field}: {message}")]
    Invalid {
        /// The offending field.
        field: &'static str,
        /// What is wrong, in words.
        message: String,
    },
}

impl CustomerError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }

    /// The field at fault, if the error is about one field.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::IdReused { field, .. } | Self::Invalid { field, .. } => Some(field),
            Self::UnknownAlert { .. } => Some("alert_id"),
            Self::NotRegistered | Self::AlreadyRegistered => None,
        }
    }
}
