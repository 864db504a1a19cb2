//! Placeholder until the timeline page lands (replaced by the renderer's own module).

/// The timeline page of `events` (the shape `GET /_emulator/events` answers).
pub fn timeline_html(title: &str, events: &[serde_json::Value]) -> String {
    format!(
        "<!doctype html><title>{}</title><p>{} events</p>",
        title.replace('<', "&lt;"),
        events.len()
    )
}
