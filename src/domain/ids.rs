//! The identifiers of a territory's services, queues and communes, as the catalogue declares
//! them (`[a-z0-9-]`, at most 64 bytes: they end up in URLs, file names and rules). Holding
//! one means it has that shape; whether it names something the catalogue declares is the
//! catalogue's to say. They are parsed where they come in (a form post, a query string, an
//! archive, a database row) and taken as checked from the loaded catalogue.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// Identifiers end up in URLs, file names and rules: keep them to `[a-z0-9-]`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Text that is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("« {0} » is not an identifier: use lower-case letters, digits and hyphens (64 at most)")]
pub struct InvalidId(pub String);

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an identifier someone gave (a file, a form post, a query string).
            pub fn parse(text: &str) -> Result<$name, InvalidId> {
                if is_valid_id(text) {
                    Ok($name(text.to_owned()))
                } else {
                    Err(InvalidId(text.to_owned()))
                }
            }

            /// An identifier checked already: one the loaded catalogue declares (loading
            /// refuses any other shape, and routing keeps to the queues it declares).
            pub fn from_checked(text: impl Into<String>) -> $name {
                let text = text.into();
                debug_assert!(is_valid_id(&text), "{text:?} was said to be checked");
                $name(text)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(text: &str) -> Result<$name, InvalidId> {
                $name::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(text: String) -> Result<$name, InvalidId> {
                if is_valid_id(&text) {
                    Ok($name(text))
                } else {
                    Err(InvalidId(text))
                }
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        /// Stored as text; read back through [`TryFrom<String>`], so a row edited by hand
        /// into something that is no identifier fails loudly instead of flowing on.
        impl<DB: sqlx::Database> sqlx::Type<DB> for $name
        where
            String: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <String as sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <String as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $name
        where
            String: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                self.0.encode_by_ref(buf)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $name
        where
            String: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<$name, sqlx::error::BoxDynError> {
                Ok($name::try_from(String::decode(value)?)?)
            }
        }

        impl sqlx::postgres::PgHasArrayType for $name {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <String as sqlx::postgres::PgHasArrayType>::array_type_info()
            }
        }

        /// Unit tests write identifiers as literals.
        #[cfg(test)]
        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name::parse(text).expect("a valid identifier in a test")
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
    };
}

identifier!(
    /// A service of the territory (`voirie`, `environnement`): whose requests these are.
    ServiceId
);
identifier!(
    /// One of a service's queues (`bacs`, `encombrants`): where requests wait to be handled.
    QueueId
);
identifier!(
    /// A commune's slug (`marmande`, `sainte-bazeille`): where a request is about.
    CommuneSlug
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_keep_to_their_shape() {
        assert_eq!(ServiceId::parse("voirie").unwrap().as_str(), "voirie");
        assert!(QueueId::parse("Bacs").is_err());
        assert!(CommuneSlug::parse("").is_err());
        assert!(CommuneSlug::parse(&"a".repeat(65)).is_err());
        assert!(ServiceId::parse("voirie/../x").is_err());
        let parsed: QueueId = serde_json::from_str("\"bacs\"").unwrap();
        assert_eq!(parsed, "bacs");
        assert!(serde_json::from_str::<QueueId>("\"les bacs\"").is_err());
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"bacs\"");
    }
}
