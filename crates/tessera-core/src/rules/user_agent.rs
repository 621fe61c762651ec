//! A coarse reading of a User-Agent header, for the user's list of devices: what kind of
//! device, which OS (and its version), which browser or program, and the hardware model
//! where the header names one. A short table of patterns, not a full parser: the list only
//! has to let a user recognise "Chrome on macOS" or "Safari on iPhone".

use crate::store::devices::DeviceType;

/// The longest user agent kept or read.
pub const MAX_USER_AGENT: usize = 512;

/// What a user agent says about its device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInfo {
    pub device_type: DeviceType,
    /// "Chrome on macOS", "Safari on iPhone", or a program's product name ("axios").
    pub name: Option<String>,
    pub os: Option<String>,
    pub os_version: Option<String>,
    pub model: Option<String>,
}

/// The text of `ua` after `token`, up to the first character that cannot be in a version
/// (`10_15_7` reads as `10.15.7`).
fn version_after(ua: &str, token: &str) -> Option<String> {
    let at = ua.find(token)? + token.len();
    let v: String = ua[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '_')
        .map(|c| if c == '_' { '.' } else { c })
        .collect();
    let v = v.trim_matches('.').to_owned();
    (!v.is_empty()).then_some(v)
}

/// (OS, its version, model, whether a phone or tablet), in the order the patterns must be
/// tried: an iPhone's agent also says "like Mac OS X", an Android's also "Linux".
fn os_of(
    ua: &str,
) -> (
    Option<&'static str>,
    Option<String>,
    Option<&'static str>,
    bool,
) {
    if ua.contains("iPhone") {
        return (Some("iOS"), version_after(ua, " OS "), Some("iPhone"), true);
    }
    if ua.contains("iPad") {
        return (
            Some("iPadOS"),
            version_after(ua, " OS "),
            Some("iPad"),
            true,
        );
    }
    if ua.contains("Android") {
        return (Some("Android"), version_after(ua, "Android "), None, true);
    }
    if ua.contains("Windows") {
        return (
            Some("Windows"),
            version_after(ua, "Windows NT "),
            None,
            false,
        );
    }
    if ua.contains("CrOS") {
        return (Some("ChromeOS"), None, None, false);
    }
    if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        return (Some("macOS"), version_after(ua, "Mac OS X "), None, false);
    }
    if ua.contains("Linux") {
        return (Some("Linux"), None, None, false);
    }
    (None, None, None, false)
}

/// The browser, most specific token first (Edge and Opera also say "Chrome", Chrome also
/// says "Safari").
const BROWSERS: &[(&str, &str)] = &[
    ("MicroMessenger/", "WeChat"),
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
];

/// Reads `ua` (empty or absent: nothing known, a program).
pub fn parse(ua: Option<&str>) -> AgentInfo {
    let ua = ua.map(str::trim).unwrap_or("");
    let (os, os_version, model, mobile) = os_of(ua);
    let browser = if ua.starts_with("Mozilla/") {
        BROWSERS
            .iter()
            .find(|(token, _)| ua.contains(token))
            .map(|(_, name)| *name)
    } else {
        None
    };
    let device_type = if mobile || ua.contains("Mobile") {
        DeviceType::Mobile
    } else if browser.is_some() {
        DeviceType::Browser
    } else {
        DeviceType::Desktop
    };
    let place = model.or(os);
    let name = match (browser, place) {
        (Some(b), Some(p)) => Some(format!("{b} on {p}")),
        (Some(b), None) => Some(b.to_owned()),
        // A program: its product token ("axios/1.6.0" → "axios").
        (None, _) => ua
            .split(['/', ' ', ';', '('])
            .next()
            .map(|p| p.chars().take(64).collect::<String>())
            .filter(|p| !p.is_empty()),
    };
    AgentInfo {
        device_type,
        name,
        os: os.map(str::to_owned),
        os_version,
        model: model.map(str::to_owned),
    }
}

/// The user agent as a device's identity: lower case, without digits, blanks collapsed, so
/// that a browser or OS update (a new version number) is the same device, and a different
/// browser or OS a different one.
pub fn normalise(ua: Option<&str>) -> String {
    let ua = ua.unwrap_or("");
    let bounded: String = ua.chars().take(MAX_USER_AGENT).collect();
    bounded
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_ascii_digit())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC_CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                              (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) \
                          AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 \
                          Safari/604.1";
    const WIN_EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                            (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0";
    const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                           (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";

    #[test]
    fn browsers_phones_and_programs() {
        let a = parse(Some(MAC_CHROME));
        assert_eq!(a.device_type, DeviceType::Browser);
        assert_eq!(a.name.as_deref(), Some("Chrome on macOS"));
        assert_eq!(a.os_version.as_deref(), Some("10.15.7"));
        let a = parse(Some(IPHONE));
        assert_eq!(a.device_type, DeviceType::Mobile);
        assert_eq!(a.name.as_deref(), Some("Safari on iPhone"));
        assert_eq!(
            (a.os.as_deref(), a.os_version.as_deref(), a.model.as_deref()),
            (Some("iOS"), Some("17.1"), Some("iPhone"))
        );
        let a = parse(Some(WIN_EDGE));
        assert_eq!(a.name.as_deref(), Some("Edge on Windows"));
        assert_eq!(a.os_version.as_deref(), Some("10.0"));
        let a = parse(Some(ANDROID));
        assert_eq!(a.device_type, DeviceType::Mobile);
        assert_eq!(
            (a.name.as_deref(), a.os_version.as_deref()),
            (Some("Chrome on Android"), Some("14"))
        );
        let a = parse(Some("axios/1.6.2"));
        assert_eq!(a.device_type, DeviceType::Desktop);
        assert_eq!(a.name.as_deref(), Some("axios"));
        let a = parse(None);
        assert_eq!((a.device_type, a.name), (DeviceType::Desktop, None));
    }

    #[test]
    fn versions_do_not_make_a_new_device() {
        let newer = MAC_CHROME.replace("120.0.0.0", "121.0.6167.85");
        assert_eq!(normalise(Some(MAC_CHROME)), normalise(Some(&newer)));
        assert_ne!(normalise(Some(MAC_CHROME)), normalise(Some(IPHONE)));
        assert_eq!(normalise(Some("  a   b ")), "a b");
    }
}
