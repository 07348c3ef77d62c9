//! The fleet's access matrix: accounts × nodes, each cell saying how the account gets in
//! (or that it does not).

use serde::Serialize;

use super::login::{Factor, Login, Method};
use super::node::{AccountAccess, NodeAccess};

/// How one account gets into one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    /// Methods usable on their own or in combination, e.g. `key(2)`, `password`,
    /// `key+otp`.
    pub summary: String,
    /// Is it root (uid 0)?
    pub root: bool,
    /// Is every way in multi-factor?
    pub mfa: bool,
    /// Does some way in depend on where the client connects from?
    pub conditional: bool,
}

/// One row: an account name and its cell per node (`None`: no such account, or it cannot
/// log in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Account name.
    pub user: String,
    /// One cell per node, in the order of [`Matrix::nodes`].
    pub cells: Vec<Option<Cell>>,
}

/// The access matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Matrix {
    /// Node names, in the order given.
    pub nodes: Vec<String>,
    /// Accounts that can log in somewhere, by name.
    pub rows: Vec<Row>,
}

/// Builds the matrix of the nodes (accounts that can log in nowhere, sshd not running
/// counting as nowhere, are left out).
pub fn matrix(nodes: &[NodeAccess]) -> Matrix {
    let mut users: Vec<String> = nodes
        .iter()
        .filter(|n| n.sshd.runs())
        .flat_map(|n| n.accounts.iter())
        .filter(|a| a.can_log_in())
        .map(|a| a.account.name.clone())
        .collect();
    users.sort();
    users.dedup();
    let rows = users
        .into_iter()
        .map(|user| Row {
            cells: nodes
                .iter()
                .map(|n| {
                    n.accounts
                        .iter()
                        .find(|a| a.account.name == user)
                        .filter(|a| n.sshd.runs() && a.can_log_in())
                        .map(cell)
                })
                .collect(),
            user,
        })
        .collect();
    Matrix {
        nodes: nodes.iter().map(|n| n.node.clone()).collect(),
        rows,
    }
}

/// The cell of an account that can log in.
pub fn cell(a: &AccountAccess) -> Cell {
    let login = if a.login.allowed {
        &a.login
    } else {
        a.conditional
            .iter()
            .map(|c| &c.login)
            .find(|l| l.allowed)
            .unwrap_or(&a.login)
    };
    Cell {
        summary: summary(login),
        root: login.root,
        mfa: login.mfa,
        conditional: !a.login.allowed || !a.conditional.is_empty() || !login.conditions.is_empty(),
    }
}

/// `key(2) | password | key+otp`, or `no login`.
pub fn summary(login: &Login) -> String {
    if !login.allowed {
        return "no login".to_string();
    }
    let parts: Vec<String> = login
        .paths
        .iter()
        .map(|p| {
            p.methods
                .iter()
                .map(|m| match m {
                    Method::Publickey if login.keys_command.is_some() => "key(cmd)".to_string(),
                    Method::Publickey => format!("key({})", login.usable_keys.len()),
                    Method::Password => "password".to_string(),
                    Method::KeyboardInteractive => {
                        let f = &p.factors;
                        match (
                            f.contains(&Factor::Password),
                            f.contains(&Factor::SecondFactor),
                        ) {
                            (true, true) => "password+otp".to_string(),
                            (false, true) => "otp".to_string(),
                            _ => "kbd-password".to_string(),
                        }
                    }
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    parts.join(" | ")
}
