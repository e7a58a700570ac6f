//! Stop words per language: the function words of the Snowball stop lists
//! (short forms), plus the words visitors wrap questions in ("how do I",
//! "please tell me"). Compared after folding, so accents and Arabic letter
//! variants need not be listed twice. Languages not listed keep every word.

use std::{collections::HashSet, sync::LazyLock};

const EN: &str = "a about above after again against all am an and any are as at be because been \
before being below between both but by can could did do does doing down during each few for \
from further had has have having he her here hers herself him himself his how i if in into is \
it its itself just me more most my myself no nor not now of off on once only or other our ours \
ourselves out over own same she should so some such than that the their theirs them themselves \
then there these they this those through to too under until up very was we were what when where \
which while who whom why will with would you your yours yourself yourselves \
s t don doesn didn isn aren cannot also get got please tell want need way possible much \
many thing things let like know anyone someone something";

const FR: &str = "au aux avec ce ces cet cette dans de des du elle elles en et eux il ils je la le \
les leur leurs lui ma mais me même mes moi mon ne nos notre nous on ou où par pas pour qu que qui \
quoi quel quelle quels quelles sa se ses son sur ta te tes toi ton tu un une vos votre vous c d j \
l m n s t y été être avoir ai as avons avez ont est sont suis es sommes êtes était comment \
pourquoi quand combien peux peut puis pouvez faire fait dois doit veux voudrais faut si plus \
moins très tout tous toute toutes ceci cela ça comme";

const DE: &str = "aber alle allem allen aller alles als also am an ander andere auch auf aus bei \
bin bis bist da damit dann das dass dein deine dem den der des dich die dies diese dieser dieses \
dir doch dort du durch ein eine einem einen einer eines er es etwas euch euer für hab habe haben \
hat hatte hier hin ich ihm ihn ihr ihre im in ist ja jede jedem jeden jeder jedes jetzt kann \
kannst können könnte man mein meine mich mir mit muss nach nicht nichts noch nun nur ob oder ohne \
sehr sein seine sich sie sind so soll sollte um und uns unser unter viel vom von vor war waren \
warum was weil welche welchem welchen welcher welches wenn wer werde werden wie wieder will wir \
wird wo zu zum zur über bitte gibt geht";

const ES: &str = "a al algo algunas algunos ante antes como con contra cual cuando de del desde \
donde durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estas este esto \
estos está están fue ha hay la las le les lo los me mi mis mucho muy más nada ni no nos nosotros \
o os otra otro para pero poco por porque que quien se ser si sin sobre su sus también te tengo \
ti tu tus un una uno unos y ya yo qué cómo cuál dónde cuándo puedo puede pueden quiero hacer \
hago favor";

const IT: &str = "a ad al alla alle allo anche che chi ci come con da dal dalla dei del della \
delle di e è gli ha ho i il in io la le lo ma mi mio mia ne nel nella non o per perché più quale \
quando questo questa se si sono su sua suo un una uno come cosa posso può voglio";

const PT: &str = "a ao aos as com como da das de do dos e é em entre era eu foi há isso isto já \
la lhe mais mas me meu minha muito na nas no nos não o os ou para pela pelo por qual quando que \
quem se sem ser seu sua são também te um uma você posso pode quero fazer";

const NL: &str = "aan al als bij dat de den der deze die dit door een en er had heb hebben het \
hij hoe ik in is je kan kunnen maar me meer met mijn na naar niet nog nu of om onder ons ook op \
over te tot u uit van voor waar wat wie wil worden wordt zal ze zich zij zijn zo";

const AR: &str = "في من على إلى الى عن ما ماذا هل كيف لماذا متى أين اين هذا هذه ذلك تلك هو هي هم \
أنا انا أنت انت نحن أن إن ان و أو او لا لم لن مع كل قد ثم التي الذي الذين كان كانت يكون تكون \
بعد قبل عند بين حتى إذا اذا لكن أي اي يا منذ غير بعض أيضا ايضا هناك هنا لي لك له لها لهم بها به \
فيها فيه منها منه عليه عليها يمكن يمكنني يمكنك أستطيع استطيع أريد اريد أود اود أخبرني اخبرني \
فضلك لو سمحت";

/// The stop words of a primary language subtag, folded.
pub fn set(language: &str) -> &'static HashSet<String> {
    static SETS: LazyLock<Vec<(&str, HashSet<String>)>> = LazyLock::new(|| {
        [
            ("en", EN),
            ("fr", FR),
            ("de", DE),
            ("es", ES),
            ("it", IT),
            ("pt", PT),
            ("nl", NL),
            ("ar", AR),
        ]
        .into_iter()
        .map(|(l, words)| {
            let set = words
                .split_whitespace()
                .map(|w| super::analysis::fold(&w.to_lowercase()))
                .collect();
            (l, set)
        })
        .collect()
    });
    SETS.iter()
        .find(|(l, _)| *l == language)
        .map_or_else(super::analysis::no_stop_words, |(_, s)| s)
}
