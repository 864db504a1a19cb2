//! Human-readable reports of a simulation. [`html::timeline_html`] draws the timeline (the entries
//! `GET /_emulator/events` answers) as one self-contained HTML page: forward weights per listener
//! or rule over simulated time, CodeDeploy lifecycle events and hooks, ECS task sets, and a table of
//! every entry. `GET /_emulator/timeline` serves it for a running emulator; `cutover scenario run
//! --html FILE` writes it for a scenario.

pub mod html;

pub use html::{timeline_html, timeline_html_with, Options};

#[cfg(test)]
mod tests;
