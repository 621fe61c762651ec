//! Pages of a list: every management list takes `page` (from 1) and `limit`, answers the
//! total count with the page, and orders by a unique key so that pages never overlap.

use crate::error::{Error, Result};

/// The largest page a caller may ask for. Bigger pages are refused rather than clamped, so a
/// caller that meant "everything" learns that it is paging.
pub const MAX_PAGE_SIZE: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// 1-based.
    pub page: i64,
    pub limit: i64,
}

impl Default for Page {
    fn default() -> Self {
        Page { page: 1, limit: 10 }
    }
}

impl Page {
    /// A page as the caller gave it; absent values take the SDK's defaults (1 and 10).
    pub fn new(page: Option<i64>, limit: Option<i64>) -> Result<Page> {
        let page = page.unwrap_or(1);
        let limit = limit.unwrap_or(10);
        if page < 1 {
            return Err(Error::InvalidParameter("page"));
        }
        if !(1..=MAX_PAGE_SIZE).contains(&limit) {
            return Err(Error::InvalidParameter("limit"));
        }
        // Keep `offset()` far from overflow whatever the page number.
        if page > i64::MAX / MAX_PAGE_SIZE / 2 {
            return Err(Error::InvalidParameter("page"));
        }
        Ok(Page { page, limit })
    }

    pub fn offset(self) -> i64 {
        (self.page - 1) * self.limit
    }

    /// Cuts one page out of an already ordered, complete list (for small per-parent lists).
    pub fn slice<T: Clone>(self, all: &[T]) -> Paged<T> {
        let start = usize::try_from(self.offset()).unwrap_or(usize::MAX);
        let list = all
            .iter()
            .skip(start)
            .take(self.limit as usize)
            .cloned()
            .collect();
        Paged {
            total_count: all.len() as i64,
            list,
        }
    }
}

/// One page and the number of items on all pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub total_count: i64,
    pub list: Vec<T>,
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            total_count: self.total_count,
            list: self.list.into_iter().map(f).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_no_caller_means() {
        assert!(Page::new(Some(0), None).is_err());
        assert!(Page::new(Some(-1), None).is_err());
        assert!(Page::new(None, Some(1_000_000_000)).is_err());
        assert!(Page::new(None, Some(0)).is_err());
        assert!(Page::new(Some(i64::MAX), Some(10)).is_err());
        assert_eq!(
            Page::new(None, None).ok(),
            Some(Page { page: 1, limit: 10 })
        );
    }

    #[test]
    fn slices_a_page_with_the_total() {
        let all: Vec<i32> = (0..25).collect();
        let p = Page::new(Some(3), Some(10)).map(|p| p.slice(&all)).ok();
        assert_eq!(
            p,
            Some(Paged {
                total_count: 25,
                list: (20..25).collect()
            })
        );
    }
}
