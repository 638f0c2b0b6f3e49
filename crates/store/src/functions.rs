//! Functions accounts hold besides their role (Datenschutzbeauftragte/r,
//! Personalrat, Bürgermeister/in, …): who gives which statement on a
//! document and who adopts it. Each function has at most one holder; only an
//! active account holds one (a deactivated holder leaves it vacant).

use journey::access::Function;
use serde::Serialize;

use crate::{now, on_db, write_audit, Actor, Result, Store};

/// The account that holds a function.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Holder {
    pub function: Function,
    pub user_id: i64,
    pub name: String,
    pub email: String,
}

#[derive(sqlx::FromRow)]
struct HolderRow {
    function: String,
    user_id: i64,
    name: String,
    email: String,
}

impl Store {
    /// Every function that has an active holder, in the order of
    /// [`Function::ALL`].
    pub async fn function_holders(&self) -> Result<Vec<Holder>> {
        let rows: Vec<HolderRow> = on_db!(self, pool => {
            sqlx::query_as(
                "SELECT f.function, f.user_id, u.name, u.email FROM account_functions f \
                 JOIN users u ON u.id = f.user_id WHERE u.active",
            )
            .fetch_all(pool)
            .await?
        });
        let mut holders: Vec<Holder> = rows
            .into_iter()
            .filter_map(|r| {
                Some(Holder {
                    function: Function::parse(&r.function)?,
                    user_id: r.user_id,
                    name: r.name,
                    email: r.email,
                })
            })
            .collect();
        holders.sort_by_key(|h| h.function);
        Ok(holders)
    }

    /// The active holder of one function, if any.
    pub async fn function_holder(&self, function: Function) -> Result<Option<Holder>> {
        Ok(self
            .function_holders()
            .await?
            .into_iter()
            .find(|h| h.function == function))
    }

    /// The functions one account holds (none while it is deactivated).
    pub async fn functions_of(&self, user_id: i64) -> Result<Vec<Function>> {
        Ok(self
            .function_holders()
            .await?
            .into_iter()
            .filter(|h| h.user_id == user_id)
            .map(|h| h.function)
            .collect())
    }

    /// Makes `functions` exactly the functions of the account: each is taken
    /// from its previous holder, and the account gives up the others.
    pub async fn set_functions(
        &self,
        actor: &Actor,
        user_id: i64,
        functions: &[Function],
    ) -> Result<()> {
        let at = now();
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            let (email,): (String,) = sqlx::query_as("SELECT email FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM account_functions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for f in functions {
                sqlx::query(
                    "INSERT INTO account_functions (function, user_id, assigned_at) \
                     VALUES ($1, $2, $3) ON CONFLICT (function) DO UPDATE SET \
                     user_id = excluded.user_id, assigned_at = excluded.assigned_at",
                )
                .bind(f.as_str())
                .bind(user_id)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            }
            let labels: Vec<&str> = functions.iter().map(|f| f.label()).collect();
            write_audit!(tx, actor, "Funktionen zugewiesen", format!("Benutzer {email}"),
                if labels.is_empty() { "keine".to_string() } else { labels.join(", ") });
            tx.commit().await?;
        });
        Ok(())
    }
}
