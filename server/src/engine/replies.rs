//! The engine's fixed lines, per language (English when the conversation's
//! language has none).

use super::intent::Intent;

/// The primary subtag we have texts for.
fn lang(language: &str) -> &'static str {
    match language
        .split('-')
        .next()
        .unwrap_or("en")
        .to_ascii_lowercase()
        .as_str()
    {
        "ar" => "ar",
        "fr" => "fr",
        "es" => "es",
        "de" => "de",
        _ => "en",
    }
}

pub fn small_talk(intent: Intent, language: &str) -> &'static str {
    match (intent, lang(language)) {
        (Intent::Greeting, "ar") => {
            "مرحبًا! كيف يمكنني مساعدتك اليوم؟ اطرح سؤالك، أو اطلب التحدث إلى موظف في أي وقت."
        }
        (Intent::Greeting, "fr") => {
            "Bonjour ! Comment puis-je vous aider ? Posez votre question, ou demandez à parler à une personne à tout moment."
        }
        (Intent::Greeting, "es") => {
            "¡Hola! ¿En qué puedo ayudarte? Haz tu pregunta o pide hablar con una persona cuando quieras."
        }
        (Intent::Greeting, "de") => {
            "Hallo! Wie kann ich helfen? Stellen Sie Ihre Frage, oder bitten Sie jederzeit um einen Menschen."
        }
        (Intent::Greeting, _) => {
            "Hello! How can I help you today? Ask me a question, or ask for a person at any time."
        }
        (Intent::Thanks, "ar") => "على الرحب والسعة! هل هناك شيء آخر يمكنني مساعدتك فيه؟",
        (Intent::Thanks, "fr") => "Avec plaisir ! Puis-je vous aider pour autre chose ?",
        (Intent::Thanks, "es") => "¡De nada! ¿Puedo ayudarte con algo más?",
        (Intent::Thanks, "de") => "Gern geschehen! Kann ich sonst noch helfen?",
        (Intent::Thanks, _) => "You're welcome! Is there anything else I can help with?",
        (Intent::Human, "ar") => {
            "بالتأكيد — سأحوّلك إلى أحد أعضاء الفريق. سيرد عليك شخص هنا في أقرب وقت ممكن."
        }
        (Intent::Human, "fr") => {
            "Bien sûr — je vous mets en relation avec une personne. Quelqu'un de l'équipe vous répondra ici dès que possible."
        }
        (Intent::Human, "es") => {
            "Por supuesto: te paso con una persona. Alguien del equipo te responderá aquí lo antes posible."
        }
        (Intent::Human, "de") => {
            "Natürlich — ich verbinde Sie mit einem Menschen. Jemand aus dem Team antwortet hier so bald wie möglich."
        }
        (Intent::Human, _) => {
            "Of course — I'm connecting you with a person. Someone from the team will reply here as soon as possible."
        }
    }
}

/// The honest answer when the knowledge base has nothing good enough.
pub fn no_answer(language: &str) -> &'static str {
    match lang(language) {
        "ar" => {
            "لم أجد إجابة عن هذا في قاعدة المعرفة، ولا أريد أن أخمّن. هل تودّ التحدث إلى موظف؟ اكتب «موظف» وسأحوّلك."
        }
        "fr" => {
            "Je n'ai pas trouvé de réponse à cela dans la base de connaissances, et je préfère ne pas deviner. Voulez-vous parler à une personne ? Écrivez « humain »."
        }
        "es" => {
            "No encontré una respuesta a eso en la base de conocimiento y prefiero no adivinar. ¿Quieres hablar con una persona? Escribe «humano»."
        }
        "de" => {
            "Dazu habe ich in der Wissensdatenbank keine Antwort gefunden, und ich möchte nicht raten. Möchten Sie mit einem Menschen sprechen? Schreiben Sie „Mensch“."
        }
        _ => {
            "I couldn't find an answer to that in the knowledge base, and I'd rather not guess. Would you like to talk to a person? Just say \"human\"."
        }
    }
}

/// The line before an answer quoted from the knowledge base.
pub fn found_intro(language: &str) -> &'static str {
    match lang(language) {
        "ar" => "هذا ما وجدته في قاعدة المعرفة:",
        "fr" => "Voici ce que j'ai trouvé dans la base de connaissances :",
        "es" => "Esto es lo que encontré en la base de conocimiento:",
        "de" => "Das habe ich in der Wissensdatenbank gefunden:",
        _ => "Here's what I found in the knowledge base:",
    }
}

/// Appended to an LLM answer that broke off.
pub fn cut_short(language: &str) -> &'static str {
    match lang(language) {
        "ar" => "\n\n_(انقطعت الإجابة. يمكنك إعادة السؤال أو طلب موظف.)_",
        "fr" => {
            "\n\n_(La réponse a été interrompue. Vous pouvez reposer la question ou demander une personne.)_"
        }
        "es" => {
            "\n\n_(La respuesta se interrumpió. Puedes volver a preguntar o pedir una persona.)_"
        }
        "de" => {
            "\n\n_(Die Antwort wurde unterbrochen. Fragen Sie erneut oder bitten Sie um einen Menschen.)_"
        }
        _ => "\n\n_(The answer was cut short. You can ask again, or ask for a person.)_",
    }
}

/// What a curated answer's citation says it is.
pub fn curated(language: &str) -> &'static str {
    match lang(language) {
        "ar" => "إجابة معتمدة",
        "fr" => "Réponse validée",
        "es" => "Respuesta validada",
        "de" => "Geprüfte Antwort",
        _ => "Curated answer",
    }
}

/// Appended to an LLM answer that cites no source of the knowledge base.
pub fn uncited(language: &str) -> &'static str {
    match lang(language) {
        "ar" => "\n\n_(لا تستند هذه الإجابة إلى مصدر في قاعدة المعرفة.)_",
        "fr" => "\n\n_(Cette réponse ne s'appuie sur aucune source de la base de connaissances.)_",
        "es" => "\n\n_(Esta respuesta no se basa en ninguna fuente de la base de conocimientos.)_",
        "de" => "\n\n_(Diese Antwort stützt sich auf keine Quelle der Wissensdatenbank.)_",
        _ => "\n\n_(This answer is not based on a source in the knowledge base.)_",
    }
}

/// The greeting of a returning visitor whose name is known, before the
/// site's welcome, with what they asked last time (an offer to pick it up).
/// The name keeps only letters, digits, spaces and `.-'`, and the question
/// loses markdown's characters (both land in markdown).
pub fn welcome_back(language: &str, name: &str, last: Option<&str>) -> Option<String> {
    let name: String = name
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '\''))
        .take(60)
        .collect();
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    let mut out = match lang(language) {
        "ar" => format!("مرحبًا بعودتك، {name}!"),
        "fr" => format!("Bon retour, {name} !"),
        "es" => format!("¡Hola de nuevo, {name}!"),
        "de" => format!("Willkommen zurück, {name}!"),
        _ => format!("Welcome back, {name}!"),
    };
    let last: String = last
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !"*_`[]<>#|\\~".contains(*c))
        .take(120)
        .collect();
    if !last.is_empty() {
        out.push(' ');
        out.push_str(&match lang(language) {
            "ar" => format!("سألتَ في المرة الماضية: «{last}». يمكنك المتابعة من هناك أو طرح سؤال جديد."),
            "fr" => format!("La dernière fois, vous avez demandé : « {last} ». Reprenez là où vous en étiez ou posez une autre question."),
            "es" => format!("La última vez preguntaste: «{last}». Puedes seguir por ahí o preguntar otra cosa."),
            "de" => format!("Letztes Mal fragten Sie: „{last}“. Machen Sie dort weiter oder fragen Sie etwas Neues."),
            _ => format!("Last time you asked: “{last}”. Pick it up from there, or ask something new."),
        });
    }
    Some(out)
}
