//! Rust types of the operations cutover implements, generated from the service models.
//!
//! Every module but this file is generated: `emulator/types/src/<service>.rs` is written by
//! `python3 tools/gen-types.py` from `emulator/models/<service>.json` and `tools/implemented.json`
//! (the operations each service's handler table implements), and `emulator/tests/generated_types.rs`
//! fails when they are stale. Do not edit them; change the generator or the models.
//!
//! The types follow the canonical `serde_json::Value` form of the protocol layer
//! (`cutover::protocol`): a structure is an object keyed by the model's member names, a timestamp
//! is epoch seconds (`f64`), a blob a base64 `String`, a map a [`BTreeMap`](std::collections::BTreeMap)
//! with string keys, a document shape a `serde_json::Value`; a member the shape does not require is
//! an `Option` left out when `None`. Integers are `i32` and longs `i64`, the ranges validation
//! allows. An enum-valued string is an enum with an `Unknown(String)` catch-all for values a newer
//! model adds.
//!
//! Each module has, for its implemented operations and the shapes they reach: a struct per
//! structure, an enum per enum string, `ErrorCode` (the operations' modelled errors) and
//! `OPERATIONS` (and, through `operation_types!`, each operation's input and output structure).
//! To keep compile time low, Deserialize is derived only for what an input reaches
//! and Serialize for what an output reaches; the `all-serde` feature derives both everywhere.

/// An enum string shape: one variant per model value and `Unknown(String)` for any other, with
/// `as_str`, `Display`, `From<&str>`, `FromStr` and serde as the plain string.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $value:literal,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[doc = $value] $variant,)*
            /// A value the model does not list (a newer service may send one).
            Unknown(::std::string::String),
        }

        impl $name {
            /// The values the model lists, in its order.
            pub const VALUES: &'static [&'static str] = &[$($value),*];

            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::Unknown(s) => s.as_str(),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($value => Self::$variant,)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let s = <::std::string::String as ::serde::Deserialize>::deserialize(d)?;
                Ok(match s.as_str() {
                    $($value => Self::$variant,)*
                    _ => Self::Unknown(s),
                })
            }
        }
    };
}

/// `ErrorCode`: one variant per modelled error of the implemented operations, with the shape
/// name, the code a handler gives `AwsError::new` (the model's `error.code` when it has one, which
/// the awsQuery wire carries, else the shape name) and the HTTP status the model gives it.
macro_rules! error_codes {
    ($($variant:ident => ($shape:literal, $code:literal, $status:literal),)*) => {
        /// The errors the model lists for the implemented operations.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $(#[doc = $shape] $variant,)*
        }

        impl ErrorCode {
            /// Every variant, sorted by shape name.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code to answer with: the model's `error.code`, else the shape name.
            pub fn code(&self) -> &'static str {
                match *self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The model's shape name.
            pub fn shape_name(&self) -> &'static str {
                match *self {
                    $(ErrorCode::$variant => $shape,)*
                }
            }

            /// The model's `error.httpStatusCode` (500 for a fault without one, else 400).
            pub fn http_status(&self) -> u16 {
                match *self {
                    $(ErrorCode::$variant => $status,)*
                }
            }
        }

        impl ::std::fmt::Display for ErrorCode {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

/// The input and output structure of each implemented operation. With the `all-serde` feature,
/// `round_trip_input` and `round_trip_output`: the value deserialised as the operation's structure
/// and serialised back (`None` for an operation without that shape), for the round-trip tests.
macro_rules! operation_types {
    ($($op:literal => ($($input:ty)?, $($output:ty)?),)*) => {
        /// Deserialises `value` as `operation`'s input structure and serialises it back.
        #[cfg(feature = "all-serde")]
        pub fn round_trip_input(
            operation: &str,
            value: &::serde_json::Value,
        ) -> ::std::option::Option<::serde_json::Result<::serde_json::Value>> {
            match operation {
                $($($op => ::std::option::Option::Some($crate::round_trip::<$input>(value)),)?)*
                _ => ::std::option::Option::None,
            }
        }

        /// Deserialises `value` as `operation`'s output structure and serialises it back.
        #[cfg(feature = "all-serde")]
        pub fn round_trip_output(
            operation: &str,
            value: &::serde_json::Value,
        ) -> ::std::option::Option<::serde_json::Result<::serde_json::Value>> {
            match operation {
                $($($op => ::std::option::Option::Some($crate::round_trip::<$output>(value)),)?)*
                _ => ::std::option::Option::None,
            }
        }
    };
}

#[cfg(feature = "all-serde")]
fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(
    value: &serde_json::Value,
) -> serde_json::Result<serde_json::Value> {
    let typed = T::deserialize(value)?;
    serde_json::to_value(typed)
}

pub mod cloudwatch;
pub mod codedeploy;
pub mod ec2;
pub mod ecs;
pub mod elbv2;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod sts;
