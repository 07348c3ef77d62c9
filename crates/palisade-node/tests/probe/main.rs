//! Behaviour of `palisade_node::probe` against servers on loopback only (127.0.0.1 and
//! 127.1.2.0/24): real etcd, a real kube-apiserver, HTTPS stand-ins for the kubelet and the
//! dashboard, and hostile servers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

// closed, silent, never-accepting, stalling, garbage, TLS garbage, huge; a /24; the budget
mod hostile;
// kubelet, API server, dashboard stand-ins; TLS certificate findings; NodePorts
mod components;
// real etcd, without auth and with client-certificate auth
mod etcd;
// the real kube-apiserver of palisade-testkit
mod apiserver;
