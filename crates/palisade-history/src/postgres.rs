//! The fleet store: PostgreSQL through the synchronous `postgres` client (a blocking wrapper
//! over `tokio-postgres`), without TLS. `sslmode=require` (or stricter) in the URL is refused by
//! the client, so a URL that asks for TLS never silently falls back to plain text.

use std::collections::HashMap;

use postgres::binary_copy::BinaryCopyInWriter;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Statement};

use crate::backend::{Backend, Dialect, Val};
use crate::error::{Error, Result};

/// Prepared statements kept per connection (the bulk inserts reuse a handful of shapes).
const STATEMENT_CACHE: usize = 64;

pub(crate) struct Postgres {
    client: Client,
    location: String,
    statements: HashMap<String, Statement>,
}

/// The URL with any password replaced, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.to_owned(),
    }
}

impl Postgres {
    pub(crate) fn connect(url: &str) -> Result<Postgres> {
        let location = redact(url);
        let client = Client::connect(url, NoTls).map_err(|e| Error::Postgres {
            url: location.clone(),
            detail: describe(&e),
        })?;
        Ok(Postgres {
            client,
            location,
            statements: HashMap::new(),
        })
    }

    fn wrap(&self, err: &postgres::Error) -> Error {
        Error::Postgres {
            url: self.location.clone(),
            detail: describe(err),
        }
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(sql).map_err(|e| self.wrap(&e))?;
        if self.statements.len() >= STATEMENT_CACHE {
            self.statements.clear();
        }
        self.statements.insert(sql.to_owned(), stmt.clone());
        Ok(stmt)
    }
}

/// The server's message when there is one (the client's `Display` says only "db error").
fn describe(err: &postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        }
    }
}

fn params(values: &[Val]) -> Vec<&(dyn ToSql + Sync)> {
    values
        .iter()
        .map(|v| match v {
            Val::Int(i) => i as &(dyn ToSql + Sync),
            Val::Text(t) => t as &(dyn ToSql + Sync),
        })
        .collect()
}

impl Backend for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn location(&self) -> &str {
        &self.location
    }

    fn batch(&mut self, sql: &str) -> Result<()> {
        self.client.batch_execute(sql).map_err(|e| self.wrap(&e))
    }

    fn execute(&mut self, sql: &str, values: &[Val]) -> Result<u64> {
        let stmt = self.statement(sql)?;
        self.client
            .execute(&stmt, &params(values))
            .map_err(|e| self.wrap(&e))
    }

    /// `COPY … FROM STDIN (FORMAT binary)`: several times faster than multi-row INSERTs for a
    /// large scan, and still inside the caller's transaction.
    fn insert_many(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &mut dyn Iterator<Item = Vec<Val>>,
    ) -> Result<()> {
        let mut rows = rows.peekable();
        let Some(first) = rows.peek() else {
            return Ok(());
        };
        let types: Vec<Type> = first
            .iter()
            .map(|v| match v {
                Val::Int(_) => Type::INT8,
                Val::Text(_) => Type::TEXT,
            })
            .collect();
        let sql = format!(
            "COPY {table} ({}) FROM STDIN (FORMAT binary)",
            columns.join(", ")
        );
        let location = self.location.clone();
        let fail = |e: postgres::Error| Error::Postgres {
            url: location.clone(),
            detail: describe(&e),
        };
        let sink = self.client.copy_in(&sql).map_err(fail)?;
        let mut writer = BinaryCopyInWriter::new(sink, &types);
        for row in rows {
            writer.write(&params(&row)).map_err(fail)?;
        }
        writer.finish().map_err(fail)?;
        Ok(())
    }

    fn query(&mut self, sql: &str, values: &[Val]) -> Result<Vec<Vec<Val>>> {
        let stmt = self.statement(sql)?;
        let rows = self
            .client
            .query(&stmt, &params(values))
            .map_err(|e| self.wrap(&e))?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut cells = Vec::with_capacity(row.len());
            for (i, column) in row.columns().iter().enumerate() {
                let ty = column.type_();
                let cell = if *ty == Type::INT8 {
                    row.try_get::<_, Option<i64>>(i).map(Val::Int)
                } else if *ty == Type::INT4 {
                    row.try_get::<_, Option<i32>>(i)
                        .map(|v| Val::Int(v.map(i64::from)))
                } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
                    row.try_get::<_, Option<String>>(i).map(Val::Text)
                } else {
                    return Err(Error::Corrupt {
                        location: self.location.clone(),
                        what: format!("column {} has unexpected type {ty}", column.name()),
                    });
                };
                cells.push(cell.map_err(|e| self.wrap(&e))?);
            }
            out.push(cells);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/h?x=1"),
            "postgres://app:***@db:5432/h?x=1"
        );
        assert_eq!(redact("postgres://app@db/h"), "postgres://app@db/h");
        assert_eq!(redact("postgres://db/h"), "postgres://db/h");
        assert_eq!(
            redact("postgresql://a:b@c@host/db"),
            "postgresql://a:***@host/db"
        );
    }
}
