//! Credentials: reading Secrets, minting service-account tokens, approving certificate
//! signing requests.

use palisade_core::{Controls, Family, Rule, Severity};

use super::grant::Probe;
use super::spec::{RiskSpec, GOOD_PRACTICES, NSA_RBAC};

/// PAL-RBAC-013.
pub(crate) static SECRETS_READ: Rule = Rule {
    id: "PAL-RBAC-013",
    title: "Binding grants reading Secrets",
    severity: Severity::High,
    family: Family::Rbac,
    description: "get, list or watch on secrets yields their content: `list` and `watch` \
        return every Secret with its data, not just names. That is every credential stored \
        in scope: database passwords, TLS keys, registry credentials, and legacy \
        service-account tokens, which act with their accounts' permissions. High through a \
        ClusterRoleBinding (every namespace, kube-system's included), medium in one \
        namespace; a grant limited by resourceNames is one step lower.",
    remediation: "Give Secret access to the workloads that need it through a namespaced Role \
        restricted with resourceNames; mount Secrets into pods instead of reading them \
        through the API.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#listing-secrets",
        "https://kubernetes.io/docs/concepts/security/secrets-good-practices/",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.2"],
        nsa: &[NSA_RBAC],
        mitre: &["T1552.007"],
    },
};

/// PAL-RBAC-014.
pub(crate) static TOKEN_CREATE: Rule = Rule {
    id: "PAL-RBAC-014",
    title: "Binding grants creating service-account tokens",
    severity: Severity::High,
    family: Family::Rbac,
    description: "create on serviceaccounts/token (the TokenRequest API, `kubectl create \
        token`) issues a token of any service account in scope, so the subject can act with \
        the permissions of each of them, including controllers' accounts in kube-system when \
        granted cluster-wide. High through a ClusterRoleBinding, medium in one namespace.",
    remediation: "Grant token creation only for named accounts (resourceNames) to the \
        component that needs it.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#token-request",
        GOOD_PRACTICES,
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.13"],
        nsa: &[NSA_RBAC],
        mitre: &["T1528"],
    },
};

/// PAL-RBAC-019.
pub(crate) static CSR_APPROVE: Rule = Rule {
    id: "PAL-RBAC-019",
    title: "Binding grants approving certificate signing requests",
    severity: Severity::Critical,
    family: Family::Rbac,
    description: "update on certificatesigningrequests/approval together with `approve` on \
        signers (what the CertificateApproval admission plugin checks, \
        `IsAuthorizedForSignerName`) lets a subject approve its own CSR. With the \
        kube-apiserver-client signer that is a client certificate for any user and group, \
        `system:masters` included: full control that no RBAC change revokes until the \
        certificate expires. Reported only when both permissions are held; when the signers \
        grant names only other signers, one step lower.",
    remediation: "Leave CSR approval to the controllers that need it (kubelet serving \
        certificates, a cert manager), restricted to their signer names.",
    references: &[
        "https://kubernetes.io/docs/concepts/security/rbac-good-practices/#csrs-and-certificate-issuing",
        "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#authorization",
    ],
    controls: Controls {
        pss: None,
        cis: &["5.1.11"],
        nsa: &[NSA_RBAC],
        mitre: &["T1098", "T1078"],
    },
};

const CERTS: &str = "certificates.k8s.io";

pub(crate) static SPECS: &[RiskSpec] = &[
    RiskSpec {
        rule: &SECRETS_READ,
        what: "read Secrets",
        why: "every credential stored there, service-account tokens included",
        probes: &[Probe::ns(&["get", "list", "watch"], "", "secrets")],
        also: &[],
        also_full_names: &[],
        cluster: Severity::High,
        namespaced: Some(Severity::Medium),
    },
    RiskSpec {
        rule: &TOKEN_CREATE,
        what: "create service-account tokens",
        why: "it can act as any service account in scope",
        probes: &[Probe::ns(&["create"], "", "serviceaccounts/token")],
        also: &[],
        also_full_names: &[],
        cluster: Severity::High,
        namespaced: Some(Severity::Medium),
    },
    RiskSpec {
        rule: &CSR_APPROVE,
        what: "approve certificate signing requests",
        why: "it can approve a client certificate for any identity, system:masters included",
        probes: &[Probe::cluster(
            &["update", "patch"],
            CERTS,
            "certificatesigningrequests/approval",
        )],
        also: &[Probe::cluster(&["approve"], CERTS, "signers")],
        also_full_names: &["kubernetes.io/kube-apiserver-client", "kubernetes.io/*"],
        cluster: Severity::Critical,
        namespaced: None,
    },
];
