//! The Dockerfile rules' catalog entries.

use palisade_core::{Controls, Family, Rule, Severity};

const BEST_PRACTICES: &str = "https://docs.docker.com/build/building/best-practices/";

const NONE: Controls = Controls {
    pss: None,
    cis: &[],
    nsa: &[],
    mitre: &[],
};

pub(crate) static ROOT_USER: Rule = Rule {
    id: "PAL-DOCKER-001",
    title: "Image runs as root",
    severity: Severity::Medium,
    family: Family::Dockerfile,
    description: "The final stage has no USER instruction, or its last USER is root (`root`, \
        `0`, `root:root`, `0:0`). The container then runs as root unless whoever runs it \
        overrides the user, and in Kubernetes root in the container is root on the node \
        unless the pod has its own user namespace. A base image may set a non-root user \
        itself; say so explicitly so that the Dockerfile, not the base, decides. Stages that \
        are only built from (`FROM <stage>`) pass their USER on and are followed.",
    remediation: "Create an unprivileged user and end the final stage with `USER <uid>` (a \
        numeric UID lets Kubernetes' `runAsNonRoot` verify it), e.g. `USER 10001:10001`.",
    references: &[
        "https://docs.docker.com/reference/dockerfile/#user",
        BEST_PRACTICES,
    ],
    controls: Controls {
        nsa: &["Pod security: non-root containers"],
        ..NONE
    },
};

pub(crate) static ADD_URL: Rule = Rule {
    id: "PAL-DOCKER-002",
    title: "ADD downloads a URL without a checksum",
    severity: Severity::Medium,
    family: Family::Dockerfile,
    description: "`ADD https://...` puts whatever the server returns at build time into the \
        image, unverified: a compromised or hijacked server, or a moved release, changes the \
        image without any change to the Dockerfile. `ADD --checksum=sha256:...` verifies the \
        download and passes.",
    remediation: "Add `--checksum=sha256:<digest>` to the ADD (BuildKit), or download with \
        `RUN curl -fsSLo file URL && echo \"<sha256>  file\" | sha256sum -c -`.",
    references: &[
        "https://docs.docker.com/reference/dockerfile/#add",
        BEST_PRACTICES,
    ],
    controls: NONE,
};

pub(crate) static PIPE_TO_SHELL: Rule = Rule {
    id: "PAL-DOCKER-003",
    title: "Downloaded script executed without verification",
    severity: Severity::Medium,
    family: Family::Dockerfile,
    description: "`curl ... | sh`, `wget -O- ... | bash`, `bash -c \"$(curl ...)\"`, or a script \
        downloaded with `curl -o x.sh` and then run without a checksum check, executes \
        whatever the server sends, as the build user (usually root), with nothing recording \
        what ran. A tampered or replaced script compromises the image and everything built \
        from it.",
    remediation: "Download to a file, verify it (`sha256sum -c`, `gpg --verify`), then run it; \
        or install the tool from a package repository or a pinned, verified release.",
    references: &[BEST_PRACTICES],
    controls: NONE,
};

pub(crate) static BASE_UNPINNED: Rule = Rule {
    id: "PAL-DOCKER-004",
    title: "Base image not pinned",
    severity: Severity::Medium,
    family: Family::Dockerfile,
    description: "A base image without a tag means `latest`, and `latest` (medium) is whatever \
        was pushed last: rebuilding the same Dockerfile gives a different image. A version \
        tag without a digest (low) is still mutable: the tag can be moved by anyone with push \
        access. `FROM scratch`, `FROM <earlier stage>` and digests pass; a base built from \
        build arguments without defaults is not judged.",
    remediation: "Pin the base by digest (`FROM python:3.12-slim@sha256:<digest>`) and let a \
        dependency bot update the digest.",
    references: &[
        "https://docs.docker.com/reference/dockerfile/#from",
        BEST_PRACTICES,
    ],
    controls: Controls {
        nsa: &["Pod security: building secure container images"],
        mitre: &["T1525"],
        ..NONE
    },
};

pub(crate) static EXPOSE_SSH: Rule = Rule {
    id: "PAL-DOCKER-005",
    title: "Image exposes port 22 (SSH)",
    severity: Severity::Low,
    family: Family::Dockerfile,
    description: "`EXPOSE 22` (or a range covering it) says the image runs an SSH server. EXPOSE \
        publishes nothing by itself, but an SSH daemon in a container is a second, \
        unaudited way in, with keys or passwords baked into the image; `kubectl exec` and \
        ephemeral debug containers make it unnecessary.",
    remediation: "Remove the SSH server and the EXPOSE; use `kubectl exec` or `kubectl debug` \
        for access.",
    references: &["https://docs.docker.com/reference/dockerfile/#expose"],
    controls: NONE,
};

pub(crate) static SUDO: Rule = Rule {
    id: "PAL-DOCKER-006",
    title: "RUN uses sudo",
    severity: Severity::Medium,
    family: Family::Dockerfile,
    description: "RUN already runs as the stage's USER; `sudo` in a build means the image ships \
        sudo and a user allowed to use it, so a non-root USER can become root again at run \
        time. sudo also behaves unpredictably without a TTY and in signal handling.",
    remediation: "Run the privileged steps before switching USER (or switch back with \
        `USER root` for them), and do not install sudo in the image.",
    references: &[BEST_PRACTICES],
    controls: NONE,
};

pub(crate) static PACKAGE_CACHE: Rule = Rule {
    id: "PAL-DOCKER-007",
    title: "Package install keeps its cache in the image",
    severity: Severity::Low,
    family: Family::Dockerfile,
    description: "`apt-get install` without removing `/var/lib/apt/lists` in the same RUN, `apk \
        add` without `--no-cache`, `yum`/`dnf install` without `clean all`, and `pip install` \
        without `--no-cache-dir` leave package indexes and caches in the layer: a bigger \
        image, stale indexes that later layers may install from, and more files for a \
        scanner to wade through. A BuildKit cache mount over the cache directory passes.",
    remediation: "Clean up in the same RUN (`&& rm -rf /var/lib/apt/lists/*`, `&& dnf clean \
        all`), use `apk add --no-cache` and `pip install --no-cache-dir`, or mount the cache \
        with `RUN --mount=type=cache,target=...`.",
    references: &[BEST_PRACTICES],
    controls: NONE,
};

pub(crate) static NO_HEALTHCHECK: Rule = Rule {
    id: "PAL-DOCKER-008",
    title: "Image has no HEALTHCHECK",
    severity: Severity::Low,
    family: Family::Dockerfile,
    description: "The final stage has no HEALTHCHECK (or `HEALTHCHECK NONE`), so Docker, \
        Compose and Swarm cannot tell a hung container from a healthy one. Kubernetes ignores \
        HEALTHCHECK and uses the pod's probes instead (PAL-POD-037, PAL-POD-038); for images \
        that only run on Kubernetes this rule can be disabled.",
    remediation: "Add `HEALTHCHECK CMD <command that fails when the service is unhealthy>` to \
        the final stage, or disable PAL-DOCKER-008 in palisade.yaml for Kubernetes-only \
        images.",
    references: &["https://docs.docker.com/reference/dockerfile/#healthcheck"],
    controls: NONE,
};
