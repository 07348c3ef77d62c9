/*!
Palisade's vulnerability database.

For now this crate holds the exact version comparison that vulnerability
matching needs (issue 14, item 5): one module per versioning scheme under
[`version`], each with a `parse` that reports a bad version as an error and a
`compare(a, b) -> Ordering` over parsed versions.

```
use palisade_vulndb::version::dpkg;
use std::cmp::Ordering;

let a = dpkg::Version::parse("1.0~rc1-1").unwrap();
let b = dpkg::Version::parse("1.0-1").unwrap();
assert_eq!(dpkg::compare(&a, &b), Ordering::Less);
```
*/

pub mod version;
