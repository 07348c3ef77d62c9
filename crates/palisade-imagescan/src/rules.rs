//! The image rules' catalog entries (`PAL-IMAGE-…`; `PAL-IMG-…` are the manifest rules
//! about image references). `controls.cis` names CIS Kubernetes Benchmark ids only, and
//! none of these is one: the CIS Docker Benchmark recommendations they follow (4.1 user,
//! 4.6 HEALTHCHECK, 4.10 secrets in images, 5.7 SSH) are a different document and are named in
//! the descriptions, as the Dockerfile rules do.

use palisade_core::{Controls, Family, Rule, Severity};

const CIS_DOCKER: &str = "https://www.cisecurity.org/benchmark/docker";
const BUILD_SECRETS: &str = "https://docs.docker.com/build/building/secrets/";
const IMAGE_SPEC_CONFIG: &str = "https://github.com/opencontainers/image-spec/blob/main/config.md";
const LAYER_SPEC: &str = "https://github.com/opencontainers/image-spec/blob/main/layer.md";

pub(crate) static SECRET_IN_LAYER: Rule = Rule {
    id: "PAL-IMAGE-001",
    title: "Credential in an image layer file",
    severity: Severity::High,
    family: Family::Images,
    description: "A text file in one of the image's layers holds a credential: a private key, \
        a cloud or vendor token, a password in a URL, or a literal assigned to a secret-like \
        name in a config file (`password=...`, `api_key: ...`). Every layer is read, not only \
        the final filesystem: a file that a later layer deletes or overwrites still ships in \
        the earlier layer, and anyone who can pull the image can extract it (`docker save`, \
        any registry client). Judged by the same detector as manifests (PAL-SECRET-001/002). \
        High for a known format, medium for a literal under a secret-like name. Binary \
        files, files over the size cap and package documentation are not read. CIS Docker \
        Benchmark 4.10.",
    remediation: "Rotate the credential. Keep secrets out of the build context and out of \
        `COPY`/`ADD`; pass build-time secrets with BuildKit secret mounts (`RUN \
        --mount=type=secret,...`), which never land in a layer; deleting the file in a later \
        step does not remove it from the image. Give runtime secrets to the container at \
        run time (a Kubernetes Secret mounted as a file).",
    references: &[BUILD_SECRETS, LAYER_SPEC, CIS_DOCKER],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1552.001"],
    },
};

pub(crate) static SECRET_IN_CONFIG: Rule = Rule {
    id: "PAL-IMAGE-002",
    title: "Credential in the image configuration or history",
    severity: Severity::High,
    family: Family::Images,
    description: "An environment variable (`config.Env`), a label (`config.Labels`) or a \
        build step of the history (`history[].created_by`, where `ARG` values and `RUN` \
        command lines are recorded) holds a credential. The configuration and history are \
        part of the image: `docker inspect` and `docker history` show them to everyone who \
        can pull it, and every container inherits the environment. High for a known format, \
        medium for a literal under a secret-like name (`DB_PASSWORD=hunter2`). CIS Docker \
        Benchmark 4.10.",
    remediation: "Rotate the credential and rebuild without it: no secrets in `ENV`, `ARG` or \
        `LABEL`; use BuildKit secret mounts at build time and a Kubernetes Secret mounted as a \
        file at run time.",
    references: &[BUILD_SECRETS, IMAGE_SPEC_CONFIG, CIS_DOCKER],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1552.001"],
    },
};

pub(crate) static RUNS_AS_ROOT: Rule = Rule {
    id: "PAL-IMAGE-003",
    title: "Image runs as root",
    severity: Severity::Medium,
    family: Family::Images,
    description: "The image configuration sets no user (`config.User` empty or missing), or \
        sets root (`root`, `0`, `root:root`, `0:0`). A container from it runs as root unless \
        whoever runs it overrides the user, and without user namespaces root in the container \
        is root on the node. A user given by name is taken as non-root (the name is not \
        resolved against the image's `/etc/passwd`). CIS Docker Benchmark 4.1.",
    remediation: "Create an unprivileged user in the image and end the build with `USER \
        <uid>` (a numeric UID lets Kubernetes' `runAsNonRoot` verify it); set \
        `runAsNonRoot: true` and `runAsUser` in the pod's security context too.",
    references: &[
        IMAGE_SPEC_CONFIG,
        "https://docs.docker.com/reference/dockerfile/#user",
        CIS_DOCKER,
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: non-root containers"],
        mitre: &[],
    },
};

pub(crate) static SSH_SERVER: Rule = Rule {
    id: "PAL-IMAGE-004",
    title: "SSH server in the image or port 22 exposed",
    severity: Severity::Medium,
    family: Family::Images,
    description: "The image ships an SSH server (an `openssh-server` or `dropbear` package, \
        or an `sshd`/`dropbear` binary in the final filesystem) or declares port 22 in \
        `config.ExposedPorts`. An SSH daemon in a container is a second way in that bypasses \
        the platform's access control and audit (`kubectl exec` is both), carries its own \
        keys and passwords, and widens the attack surface. CIS Docker Benchmark 5.7.",
    remediation: "Remove the SSH server from the image and use `kubectl exec` or ephemeral \
        debug containers (`kubectl debug`) for access.",
    references: &[
        "https://kubernetes.io/docs/tasks/debug/debug-application/debug-running-pod/#ephemeral-container",
        CIS_DOCKER,
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1133"],
    },
};

pub(crate) static NO_HEALTHCHECK: Rule = Rule {
    id: "PAL-IMAGE-005",
    title: "Image has no HEALTHCHECK",
    severity: Severity::Low,
    family: Family::Images,
    description: "The image configuration has no `Healthcheck`, so Docker, Compose and Swarm \
        cannot tell a hung container from a healthy one. Kubernetes ignores the image's \
        HEALTHCHECK and uses the pod's probes instead (PAL-POD-037/038): disable this rule \
        for images that only run on Kubernetes. CIS Docker Benchmark 4.6.",
    remediation: "Add a `HEALTHCHECK` instruction to the Dockerfile, or disable this rule \
        for Kubernetes-only images and define liveness and readiness probes.",
    references: &[
        "https://docs.docker.com/reference/dockerfile/#healthcheck",
        CIS_DOCKER,
    ],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &[],
        mitre: &[],
    },
};

pub(crate) static UNAPPROVED_SOURCE: Rule = Rule {
    id: "PAL-IMAGE-006",
    title: "Image not from an approved registry",
    severity: Severity::Medium,
    family: Family::Images,
    description: "The image's reference is outside the configured `approvedRegistries` and \
        `approvedImages`, judged exactly as the manifest rule PAL-IMG-003 judges a \
        container's image. An image from elsewhere has not gone through the organisation's \
        build, scanning and signing pipeline. Only checked when the reference is known (a \
        pulled image, or one named by the caller) and an approved list is configured.",
    remediation: "Pull the image through an approved registry (mirror it there), or add the \
        registry to `approvedRegistries` / the image to `approvedImages` if it is vetted.",
    references: &["https://kubernetes.io/docs/concepts/containers/images/"],
    controls: Controls {
        pss: None,
        cis: &[],
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1525", "T1610"],
    },
};

/// Every image rule, in catalog order.
pub(crate) static RULES: &[&Rule] = &[
    &SECRET_IN_LAYER,
    &SECRET_IN_CONFIG,
    &RUNS_AS_ROOT,
    &SSH_SERVER,
    &NO_HEALTHCHECK,
    &UNAPPROVED_SOURCE,
];
