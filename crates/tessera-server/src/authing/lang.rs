//! The language an Authing SDK asks its answers in.

/// The language a caller asked for (`x-authing-lang`). Authing answers in Chinese by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    EnUs,
}

impl Lang {
    /// Reads an `x-authing-lang` / `Accept-Language` style value; anything unknown is zh-CN.
    pub fn from_header(value: Option<&str>) -> Lang {
        match value {
            Some(v) if v.trim().to_ascii_lowercase().starts_with("en") => Lang::EnUs,
            _ => Lang::ZhCn,
        }
    }

    /// Picks the text of this language from a zh-CN / en-US pair.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::ZhCn => zh,
            Lang::EnUs => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lang_defaults_to_chinese() {
        assert_eq!(Lang::from_header(None), Lang::ZhCn);
        assert_eq!(Lang::from_header(Some("fr-FR")), Lang::ZhCn);
        assert_eq!(Lang::from_header(Some("en-US")), Lang::EnUs);
        assert_eq!(Lang::from_header(Some("EN")), Lang::EnUs);
        assert_eq!(Lang::EnUs.pick("是", "yes"), "yes");
    }
}
