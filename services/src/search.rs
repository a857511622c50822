//! Free-text filters that behave the same on SQLite and PostgreSQL: case-insensitive
//! "contains" over several columns (LIKE alone is case-sensitive on PostgreSQL).
use sea_orm::sea_query::{Expr, Func, IntoColumnRef};
use sea_orm::Condition;

pub fn any_column_contains<C: IntoColumnRef + Copy>(columns: &[C], text: &str) -> Condition {
    let escaped = text.trim().to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    columns.iter().fold(Condition::any(), |any, column| {
        any.add(Expr::expr(Func::lower(Expr::col(*column))).like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')))
    })
}
