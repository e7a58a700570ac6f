//! Curated answers: an owner's question → answer pairs. A visitor question
//! close enough to a curated question gets its answer ahead of retrieval:
//! nearly every term of the curated question is in the visitor's, and the
//! two share most of their terms (analysed alike, so "How much is Pro?"
//! meets "how much does the pro plan cost"… only when the words agree).

use lantern_shared::knowledge::{CreateCuratedAnswer, CuratedAnswer};

use super::analysis::{self, Analyzer};
use crate::{
    db::{CuratedRow, Db, MAX_CURATED, rfc3339},
    error::ApiError,
    validate,
};

pub const MAX_QUESTION_CHARS: usize = 500;
pub const MAX_ANSWER_CHARS: usize = 4000;
/// Share of the curated question's terms the visitor's must contain.
const COVER: f64 = 0.8;
/// Shared terms over all terms of both (Jaccard).
const OVERLAP: f64 = 0.5;

/// Stores a curated answer for `site_id` (`default_language` when the
/// request names none).
pub async fn add(
    db: &Db,
    site_id: &str,
    default_language: &str,
    req: CreateCuratedAnswer,
) -> Result<CuratedAnswer, ApiError> {
    let question = validate::text("question", &req.question, MAX_QUESTION_CHARS)?;
    let answer = validate::text("answer", &req.answer, MAX_ANSWER_CHARS)?;
    let language = match &req.language {
        Some(l) => validate::language("language", l)?,
        None => default_language.to_string(),
    };
    let terms = Analyzer::new(&language).query_terms(&question);
    if terms.is_empty() {
        return Err(ApiError::field(
            "question",
            "has no words to match (only stop words or punctuation)",
        ));
    }
    db.add_curated(site_id, &question, &answer, &language, &terms.join(" "))
        .await?
        .map(to_api)
        .ok_or_else(|| {
            ApiError::Conflict(format!("a site keeps at most {MAX_CURATED} curated answers"))
        })
}

pub fn to_api(r: CuratedRow) -> CuratedAnswer {
    CuratedAnswer {
        id: r.id,
        question: r.question,
        answer: r.answer,
        language: r.language,
        created_at: rfc3339(r.created_at),
    }
}

/// The curated answer matching `text` best, if one is close enough.
pub async fn find(
    db: &Db,
    site_id: &str,
    text: &str,
    language: &str,
) -> Result<Option<CuratedRow>, ApiError> {
    let rows = db.curated(site_id).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let asked: Vec<String> = Analyzer::new(&analysis::query_language(text, Some(language), "en"))
        .query_terms(text);
    let best = rows
        .into_iter()
        .filter_map(|r| {
            let score = closeness(&asked, &r.terms);
            (score > 0.0).then_some((score, r))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0));
    Ok(best.map(|(_, r)| r))
}

/// 0 when `stored` (space-separated terms) is not close enough to `asked`,
/// else the share of terms they have in common.
fn closeness(asked: &[String], stored: &str) -> f64 {
    let stored: Vec<&str> = stored.split_whitespace().collect();
    if asked.is_empty() || stored.is_empty() {
        return 0.0;
    }
    let shared = stored.iter().filter(|t| asked.iter().any(|a| a == *t)).count() as f64;
    let union = (asked.len() + stored.len()) as f64 - shared;
    let (cover, overlap) = (shared / stored.len() as f64, shared / union);
    if cover >= COVER && overlap >= OVERLAP {
        overlap
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_questions_match_and_others_do_not() {
        let en = Analyzer::new("en");
        let stored = en.query_terms("How much does Lantern Pro cost?").join(" ");
        assert!(closeness(&en.query_terms("lantern pro cost per month"), &stored) > 0.0);
        assert!(closeness(&en.query_terms("What does Lantern Pro cost?"), &stored) > 0.0);
        assert_eq!(closeness(&en.query_terms("cost"), &stored), 0.0);
        assert_eq!(
            closeness(&en.query_terms("Does Lantern Pro run on Windows?"), &stored),
            0.0
        );
    }
}
