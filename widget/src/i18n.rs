//! The widget's UI strings in its five languages, and text direction.
//! A static table: an i18n crate would cost every page view more than this.

/// Every string the panel shows or announces.
pub struct Strings {
    pub chat: &'static str,
    pub minimise: &'static str,
    pub new_chat: &'static str,
    pub human: &'static str,
    pub handoff_done: &'static str,
    pub messages: &'static str,
    pub input: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub retry: &'static str,
    pub typing: &'static str,
    pub helpful: &'static str,
    pub not_helpful: &'static str,
    pub sources: &'static str,
    pub offline: &'static str,
    pub rate_limited: &'static str,
    pub failed: &'static str,
    pub you: &'static str,
    pub nobody: &'static str,
    pub email: &'static str,
    pub leave: &'static str,
    pub thanks: &'static str,
    /// The composer's attach button (a file, or paste / drop an image).
    pub attach: &'static str,
}

const EN: Strings = Strings {
    chat: "Chat",
    minimise: "Minimise chat",
    new_chat: "New conversation",
    human: "Talk to a human",
    handoff_done: "A person from our team will reply here.",
    messages: "Messages",
    input: "Your message",
    placeholder: "Ask a question…",
    send: "Send",
    retry: "Retry",
    typing: "Typing…",
    helpful: "Helpful",
    not_helpful: "Not helpful",
    sources: "Sources",
    offline: "You are offline. Check your connection and retry.",
    rate_limited: "Too many messages. Please wait {} s and retry.",
    failed: "Something went wrong. Please retry.",
    you: "You",
    nobody: "Nobody from our team is online right now. Leave your email and we will reply there.",
    email: "Your email",
    leave: "Send",
    thanks: "Thank you: we will reply by email.",
    attach: "Attach a file",
};

const AR: Strings = Strings {
    chat: "المحادثة",
    minimise: "تصغير المحادثة",
    new_chat: "محادثة جديدة",
    human: "التحدث إلى شخص",
    handoff_done: "سيرد عليك أحد أعضاء فريقنا هنا.",
    messages: "الرسائل",
    input: "رسالتك",
    placeholder: "اطرح سؤالاً…",
    send: "إرسال",
    retry: "إعادة المحاولة",
    typing: "يكتب…",
    helpful: "مفيد",
    not_helpful: "غير مفيد",
    sources: "المصادر",
    offline: "أنت غير متصل. تحقق من الاتصال وأعد المحاولة.",
    rate_limited: "رسائل كثيرة جداً. انتظر {} ثانية وأعد المحاولة.",
    failed: "حدث خطأ ما. يرجى إعادة المحاولة.",
    you: "أنت",
    nobody: "لا يوجد أحد من فريقنا متصل الآن. اترك بريدك الإلكتروني وسنرد عليك هناك.",
    email: "بريدك الإلكتروني",
    leave: "إرسال",
    thanks: "شكرًا: سنرد عليك بالبريد الإلكتروني.",
    attach: "إرفاق ملف",
};

const FR: Strings = Strings {
    chat: "Discussion",
    minimise: "Réduire la discussion",
    new_chat: "Nouvelle conversation",
    human: "Parler à une personne",
    handoff_done: "Une personne de notre équipe vous répondra ici.",
    messages: "Messages",
    input: "Votre message",
    placeholder: "Posez une question…",
    send: "Envoyer",
    retry: "Réessayer",
    typing: "Écrit…",
    helpful: "Utile",
    not_helpful: "Pas utile",
    sources: "Sources",
    offline: "Vous êtes hors ligne. Vérifiez la connexion et réessayez.",
    rate_limited: "Trop de messages. Attendez {} s et réessayez.",
    failed: "Une erreur s'est produite. Veuillez réessayer.",
    you: "Vous",
    nobody: "Personne de notre équipe n'est en ligne pour le moment. Laissez votre e-mail et nous vous répondrons.",
    email: "Votre e-mail",
    leave: "Envoyer",
    thanks: "Merci : nous vous répondrons par e-mail.",
    attach: "Joindre un fichier",
};

const ES: Strings = Strings {
    chat: "Chat",
    minimise: "Minimizar el chat",
    new_chat: "Nueva conversación",
    human: "Hablar con una persona",
    handoff_done: "Una persona de nuestro equipo responderá aquí.",
    messages: "Mensajes",
    input: "Tu mensaje",
    placeholder: "Haz una pregunta…",
    send: "Enviar",
    retry: "Reintentar",
    typing: "Escribiendo…",
    helpful: "Útil",
    not_helpful: "No útil",
    sources: "Fuentes",
    offline: "Sin conexión. Comprueba la red y reintenta.",
    rate_limited: "Demasiados mensajes. Espera {} s y reintenta.",
    failed: "Algo salió mal. Reintenta, por favor.",
    you: "Tú",
    nobody: "Nadie de nuestro equipo está en línea ahora. Deja tu correo y te responderemos allí.",
    email: "Tu correo",
    leave: "Enviar",
    thanks: "Gracias: te responderemos por correo.",
    attach: "Adjuntar un archivo",
};

const DE: Strings = Strings {
    chat: "Chat",
    minimise: "Chat minimieren",
    new_chat: "Neue Unterhaltung",
    human: "Mit einem Menschen sprechen",
    handoff_done: "Eine Person aus unserem Team antwortet hier.",
    messages: "Nachrichten",
    input: "Ihre Nachricht",
    placeholder: "Stellen Sie eine Frage…",
    send: "Senden",
    retry: "Erneut versuchen",
    typing: "Schreibt…",
    helpful: "Hilfreich",
    not_helpful: "Nicht hilfreich",
    sources: "Quellen",
    offline: "Sie sind offline. Prüfen Sie die Verbindung und versuchen Sie es erneut.",
    rate_limited: "Zu viele Nachrichten. Bitte {} s warten und erneut versuchen.",
    failed: "Etwas ist schiefgelaufen. Bitte erneut versuchen.",
    you: "Sie",
    nobody: "Gerade ist niemand aus unserem Team online. Hinterlassen Sie Ihre E-Mail, wir antworten dort.",
    email: "Ihre E-Mail",
    leave: "Senden",
    thanks: "Danke: Wir antworten per E-Mail.",
    attach: "Datei anhängen",
};

fn primary(lang: &str) -> &str {
    lang.split(['-', '_']).next().unwrap_or("")
}

/// The strings for `lang` (a BCP 47 tag), English when not translated.
pub fn strings(lang: &str) -> &'static Strings {
    match primary(lang) {
        "ar" => &AR,
        "fr" => &FR,
        "es" => &ES,
        "de" => &DE,
        _ => &EN,
    }
}

/// Right-to-left scripts the layout mirrors for.
pub fn is_rtl(lang: &str) -> bool {
    matches!(primary(lang), "ar" | "he" | "fa" | "ur")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_by_primary_subtag_and_falls_back_to_english() {
        assert_eq!(strings("fr-CA").send, "Envoyer");
        assert_eq!(strings("ja").send, "Send");
        assert!(is_rtl("ar-EG") && is_rtl("he") && !is_rtl("en"));
    }
}
