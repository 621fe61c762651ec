//! The columns of the tenant import spreadsheet (`importTenant`). Authing's console offers a
//! template to download but neither the SDK, the OpenAPI nor the docs say its columns, so
//! Tessera documents its own (ARCHITECTURE.md): a header row naming each column in Chinese
//! or by its field name, then one row per member. The core's refusals name a column by its
//! field name; this table words it in the caller's language.

use super::Lang;

/// One column: its field name, its Chinese and English headers, and whether the file must
/// have it.
pub struct Column {
    pub field: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub required: bool,
}

/// Every column, in the template's order. A header cell matches a column by its Chinese
/// name, its English name or its field name (trimmed, case-insensitively); other columns
/// are ignored. `email` and `phone` are each optional, but every row needs one of them.
pub const COLUMNS: [Column; 8] = [
    Column {
        field: "tenantName",
        zh: "租户名称",
        en: "Tenant name",
        required: true,
    },
    Column {
        field: "tenantDescription",
        zh: "租户描述",
        en: "Tenant description",
        required: false,
    },
    Column {
        field: "username",
        zh: "用户名",
        en: "Username",
        required: false,
    },
    Column {
        field: "name",
        zh: "姓名",
        en: "Name",
        required: false,
    },
    Column {
        field: "email",
        zh: "邮箱",
        en: "Email",
        required: false,
    },
    Column {
        field: "phone",
        zh: "手机号",
        en: "Phone",
        required: false,
    },
    Column {
        field: "phoneCountryCode",
        zh: "手机区号",
        en: "Phone country code",
        required: false,
    },
    Column {
        field: "isAdmin",
        zh: "是否管理员",
        en: "Is admin",
        required: false,
    },
];

/// The column a header cell names, if any.
pub fn column_of(header: &str) -> Option<&'static Column> {
    let h = header.trim();
    COLUMNS
        .iter()
        .find(|c| h == c.zh || h.eq_ignore_ascii_case(c.en) || h.eq_ignore_ascii_case(c.field))
}

/// A field's column header in the caller's language (the field name itself when it is no
/// column, e.g. a whole `row`).
pub fn label(field: &str, lang: Lang) -> &str {
    match COLUMNS.iter().find(|c| c.field == field) {
        Some(c) => lang.pick(c.zh, c.en),
        None => field,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_in_either_language_or_by_field() {
        assert_eq!(column_of(" 租户名称 ").map(|c| c.field), Some("tenantName"));
        assert_eq!(column_of("EMAIL").map(|c| c.field), Some("email"));
        assert_eq!(
            column_of("phoneCountryCode").map(|c| c.field),
            Some("phoneCountryCode")
        );
        assert!(column_of("备注").is_none());
        assert_eq!(label("email", Lang::ZhCn), "邮箱");
        assert_eq!(label("row", Lang::EnUs), "row");
    }
}
