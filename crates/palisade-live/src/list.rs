//! Listing one kind: pages of `limit` items followed with `continue` tokens, as
//! client-go's pager (`ListPager.List`) does, each item given back its `kind` and
//! `apiVersion` (list items carry neither). Secrets come as `PartialObjectMetadata`: the
//! server never sends their values.

use kube::core::params::{GetParams, ListParams};
use kube::core::request::Request;
use kube::Client;
use serde_json::Value;

use crate::discover::Target;
use crate::kinds::Fetch;
use crate::retry::{fetch_json, Failure, RetryPolicy};

/// The answer to listing one kind in one scope.
#[derive(Debug)]
pub enum Listed {
    /// Every item, each with `kind` and `apiVersion` set; and how many items were skipped
    /// because they are not objects with a string `metadata.name` (a broken server or proxy:
    /// they cannot be named in a report, so they are counted, not judged).
    Items(Vec<Value>, usize),
    /// 403: the credentials may not list it (the server's message).
    Forbidden(String),
    /// 404: not served (a CRD removed since discovery, a namespace that does not exist).
    NotFound(String),
    /// Anything else, after the retries (the message): the kind is not read.
    Failed(String),
}

/// The URL path of a kind's collection, in a namespace or across all.
pub fn collection_path(target: &Target, namespace: Option<&str>) -> String {
    let r = &target.resource;
    let base = if r.group.is_empty() {
        format!("/api/{}", r.version)
    } else {
        format!("/apis/{}/{}", r.group, r.version)
    };
    match namespace {
        Some(ns) if target.namespaced => format!("{base}/namespaces/{ns}/{}", r.plural),
        _ => format!("{base}/{}", r.plural),
    }
}

/// Lists every item of `target` in `namespace` (all namespaces when `None`), page by page,
/// as client-go's `ListPager.List` does. Each page is retried as [`fetch_json`] says; a page
/// that still fails fails the whole kind (never a partial list presented as complete). A 410
/// Gone on a `continue` page (the token expired: the server compacted the snapshot the list
/// was reading) starts the list again from its first page, at most `policy.relists` times:
/// the pager's `FullListIfExpired` fallback, except that the new list is paginated too, so
/// memory stays bounded by the page size.
pub async fn list(
    client: &Client,
    target: &Target,
    namespace: Option<&str>,
    page_size: u32,
    field_selector: Option<&str>,
    policy: &RetryPolicy,
) -> Listed {
    let request = Request::new(collection_path(target, namespace));
    let mut items = Vec::new();
    let mut relists = 0;
    let mut skipped = 0;
    let mut token: Option<String> = None;
    loop {
        let params = ListParams {
            limit: Some(page_size.max(1)),
            continue_token: token.clone(),
            field_selector: field_selector.map(str::to_string),
            ..ListParams::default()
        };
        let http = match list_request(&request, target, &params) {
            Ok(h) => h,
            Err(e) => return Listed::Failed(format!("bad request: {e}")),
        };
        let page = match fetch_json(client, &http, policy).await {
            Ok(page) => page,
            Err(f) if f.code() == Some(410) && token.is_some() && relists < policy.relists => {
                relists += 1;
                items.clear();
                skipped = 0;
                token = None;
                continue;
            }
            Err(f) => return classify(&f),
        };
        let Value::Object(mut page) = page else {
            return Listed::Failed("the answer is not a JSON object".into());
        };
        if let Some(Value::Array(page_items)) = page.remove("items") {
            for item in page_items {
                if named(&item) {
                    items.push(typed(item, target));
                } else {
                    skipped += 1;
                }
            }
        }
        token = page
            .get("metadata")
            .and_then(|m| m.get("continue"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            return Listed::Items(items, skipped);
        }
    }
}

/// One page's request: a metadata-only kind asks for `PartialObjectMetadataList` (kube sets
/// the `Accept` header the API server's `as=` negotiation reads), so the server strips
/// everything but metadata before answering.
fn list_request(
    request: &Request,
    target: &Target,
    params: &ListParams,
) -> Result<http::Request<Vec<u8>>, kube::core::request::Error> {
    match target.wanted.fetch {
        Fetch::Full => request.list(params),
        Fetch::MetadataOnly => request.list_metadata(params),
    }
}

/// Reads one object by name (a namespaced target needs `namespace`), retrying as
/// [`fetch_json`] says.
pub async fn get(
    client: &Client,
    target: &Target,
    namespace: Option<&str>,
    name: &str,
    policy: &RetryPolicy,
) -> Listed {
    let request = Request::new(collection_path(target, namespace));
    let http = match request.get(name, &GetParams::default()) {
        Ok(h) => h,
        Err(e) => return Listed::Failed(format!("bad request: {e}")),
    };
    match fetch_json(client, &http, policy).await {
        Ok(item) if named(&item) => Listed::Items(vec![typed(item, target)], 0),
        Ok(_) => Listed::Items(Vec::new(), 1),
        Err(f) => classify(&f),
    }
}

/// Whether an item is an object with a string `metadata.name`.
fn named(item: &Value) -> bool {
    item.get("metadata")
        .and_then(|m| m.get("name"))
        .is_some_and(Value::is_string)
}

/// The item with the kind and apiVersion of its target (metadata-only items say
/// `PartialObjectMetadata`; list items say nothing).
fn typed(mut item: Value, target: &Target) -> Value {
    if let Value::Object(map) = &mut item {
        map.insert("kind".into(), Value::String(target.resource.kind.clone()));
        map.insert(
            "apiVersion".into(),
            Value::String(target.resource.api_version.clone()),
        );
    }
    item
}

fn classify(failure: &Failure) -> Listed {
    match failure {
        Failure::Status {
            code: 403, message, ..
        } => Listed::Forbidden(message.clone()),
        Failure::Status {
            code: 404, message, ..
        } => Listed::NotFound(message.clone()),
        other => Listed::Failed(other.describe()),
    }
}

/// A one-line description of a client error (the API's status when there is one).
pub fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            let reason = if status.reason.is_empty() {
                String::new()
            } else {
                format!(" {}", status.reason)
            };
            format!("{}{reason}: {}", status.code, status.message)
        }
        other => {
            // The chain says why (connection refused, certificate): kube's top line alone
            // rarely does.
            let mut text = other.to_string();
            let mut source = std::error::Error::source(other);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(kind: &str) -> Target {
        Target::core(kind, true).unwrap()
    }

    #[test]
    fn secrets_are_asked_for_as_metadata_only() {
        let secrets = target("Secret");
        let path = collection_path(&secrets, Some("shop"));
        assert_eq!(path, "/api/v1/namespaces/shop/secrets");
        let params = ListParams::default().limit(5);
        let request = list_request(&Request::new(&path), &secrets, &params).unwrap();
        let accept = request.headers().get("accept").unwrap().to_str().unwrap();
        assert!(accept.contains("as=PartialObjectMetadataList"), "{accept}");
        assert!(request.uri().to_string().contains("limit=5"));
        let pods = target("Pod");
        let request = list_request(&Request::new("/api/v1/pods"), &pods, &params).unwrap();
        assert!(request.headers().get("accept").is_none());
    }
}
