//! Reading a row's columns the way each database stores them, so that what a row means (a
//! request, an account, an outbox message…) is read once for both: SQLite keeps instants,
//! ids and JSON as text; PostgreSQL as `timestamptz`, `uuid` and `jsonb`. Each database
//! implements the few primitives; everything else is built on them.

use serde::de::DeserializeOwned;
use serde_json::Value;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::StoreError;
use crate::domain::{EventKind, InvalidId};

/// A column that holds what the code cannot read back (a bug, or a row edited by hand).
pub fn unreadable(column: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Other(anyhow::anyhow!("column {column} cannot be read: {why}"))
}

pub trait ReadRow {
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError>;
    fn int(&self, column: &str) -> Result<i64, StoreError>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError>;
    /// A calendar day (SQLite: `YYYY-MM-DD` text; PostgreSQL: `date`).
    fn opt_date(&self, column: &str) -> Result<Option<Date>, StoreError>;
    fn flag(&self, column: &str) -> Result<bool, StoreError>;
    fn opt_time(&self, column: &str) -> Result<Option<OffsetDateTime>, StoreError>;
    /// A JSON column, or JSON kept as text (a form's definition, whose key order is the
    /// order of its questions); never NULL.
    fn json(&self, column: &str) -> Result<Value, StoreError>;
    fn opt_uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError>;

    fn uuid(&self, column: &str) -> Result<Uuid, StoreError> {
        self.opt_uuid(column)?
            .ok_or_else(|| unreadable(column, "NULL where an id is required"))
    }

    fn text(&self, column: &str) -> Result<String, StoreError> {
        self.opt_text(column)?
            .ok_or_else(|| unreadable(column, "NULL where a value is required"))
    }

    fn time(&self, column: &str) -> Result<OffsetDateTime, StoreError> {
        self.opt_time(column)?
            .ok_or_else(|| unreadable(column, "NULL where a time is required"))
    }

    /// A text column read into a value of the domain.
    fn parsed<T, E: std::fmt::Display>(
        &self,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, StoreError> {
        parse(&self.text(column)?).map_err(|e| unreadable(column, e))
    }

    /// A service, queue or commune identifier.
    fn ident<T: TryFrom<String, Error = InvalidId>>(&self, column: &str) -> Result<T, StoreError> {
        T::try_from(self.text(column)?).map_err(|e| unreadable(column, e))
    }

    fn opt_ident<T: TryFrom<String, Error = InvalidId>>(
        &self,
        column: &str,
    ) -> Result<Option<T>, StoreError> {
        self.opt_text(column)?
            .map(|text| T::try_from(text).map_err(|e| unreadable(column, e)))
            .transpose()
    }

    fn event_kind(&self, column: &str) -> Result<EventKind, StoreError> {
        self.parsed(column, |k| {
            EventKind::parse(k).ok_or_else(|| format!("unknown event kind {k}"))
        })
    }

    /// A JSON column read into a type (a list of identifiers, of tags…).
    fn decoded<T: DeserializeOwned>(&self, column: &str) -> Result<T, StoreError> {
        serde_json::from_value(self.json(column)?).map_err(|e| unreadable(column, e))
    }
}

impl ReadRow for sqlx::sqlite::SqliteRow {
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn opt_date(&self, column: &str) -> Result<Option<Date>, StoreError> {
        let day = time::macros::format_description!("[year]-[month]-[day]");
        self.opt_text(column)?
            .map(|text| Date::parse(&text, day).map_err(|e| unreadable(column, e)))
            .transpose()
    }

    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn opt_time(&self, column: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        self.opt_text(column)?
            .map(|text| super::parse_time(&text))
            .transpose()
    }

    fn json(&self, column: &str) -> Result<Value, StoreError> {
        serde_json::from_str(&self.text(column)?).map_err(|e| unreadable(column, e))
    }

    fn opt_uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError> {
        self.opt_text(column)?
            .map(|text| Uuid::parse_str(&text).map_err(|e| unreadable(column, e)))
            .transpose()
    }
}

impl ReadRow for sqlx::postgres::PgRow {
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn int(&self, column: &str) -> Result<i64, StoreError> {
        self.opt_int(column)?
            .ok_or_else(|| unreadable(column, "NULL where a number is required"))
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        use sqlx::Row;
        Ok(match column_type(self, column).as_deref() {
            Some("INT2") => self.try_get::<Option<i16>, _>(column)?.map(i64::from),
            Some("INT4") => self.try_get::<Option<i32>, _>(column)?.map(i64::from),
            _ => self.try_get::<Option<i64>, _>(column)?,
        })
    }

    fn opt_date(&self, column: &str) -> Result<Option<Date>, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn flag(&self, column: &str) -> Result<bool, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn opt_time(&self, column: &str) -> Result<Option<OffsetDateTime>, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn json(&self, column: &str) -> Result<Value, StoreError> {
        use sqlx::Row;
        match column_type(self, column).as_deref() {
            Some("JSON" | "JSONB") => Ok(self.try_get::<sqlx::types::Json<Value>, _>(column)?.0),
            _ => serde_json::from_str(&self.text(column)?).map_err(|e| unreadable(column, e)),
        }
    }

    fn opt_uuid(&self, column: &str) -> Result<Option<Uuid>, StoreError> {
        Ok(sqlx::Row::try_get(self, column)?)
    }
}

/// The PostgreSQL type of a column of `row` (`INT4`, `JSONB`…), when it has that column.
fn column_type(row: &sqlx::postgres::PgRow, column: &str) -> Option<String> {
    use sqlx::{Column, Row, TypeInfo};
    row.columns()
        .iter()
        .find(|c| c.name() == column)
        .map(|c| c.type_info().name().to_owned())
}
