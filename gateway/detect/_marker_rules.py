"""Rule tables for ``markers``: the prefilter, the marker phrases and the context cues (design §6.6).

Kept apart from the detector so the phrase lists can be read (and reviewed by records staff) on their own.
Every phrase pattern runs on a lower-cased window around a prefilter hit, never on a whole document.

Classes decide how much a phrase says by itself:

* ``strong`` — the wording itself marks a document or a person as protected (``sekretessbelagd``,
  ``Unntatt offentlighet``, an OSL chapter reference): 0.9 alone.
* ``person`` — protected personal data only when said about someone (``skyddade personuppgifter``): 0.65,
  0.9 next to a person cue.
* ``medium`` — common in statutes and policy prose (``omfattas av sekretess``, ``taushetsplikt``): 0.6, 0.9
  when the text points at this document (``uppgifterna i mejlet``, ``vedlagte dokument``) or is a label line.
* ``weak`` — raising only (``konfidentiell``, ``hemlig``, ``känsliga personuppgifter``): 0.5, 0.75 as a label
  line / subject or next to an identity number.

Security: patterns are linear (no nested quantifiers over overlapping classes) and run on bounded windows.
"""

from __future__ import annotations

import re

import ahocorasick_rs

from gateway.detect._gated import Gated

# --- prefilter (original-case text, one ``re`` pass) -------------------------------------------------------
# Anchors start on letters that are rare in Swedish/Norwegian prose (k, y, u, f; O of "OSL"), so the engine
# tries few positions; the alternation is factored into a trie so a failing position costs one comparison.
# Marker words without such an anchor are found inside the windows opened by the others.
_ANCHOR_STEMS = (
    "kretess",  # sekretess*, offentlighets- och sekretesslagen
    "konfiden",  # konfidentiell, konfidensiell
    "confiden",  # confidential
    "yddad",  # skyddad/skyddade identitet, folkbokföring, personuppgifter, adress
    "kvarskriv",
    "ystnad",  # tystnadsplikt
    "känslig",
    "fingerad",
    "fortrolig",
    "unntat",
    "untatt",
    "unnatek",
    "ushet",  # taushetsplikt, taushetsbelagt
    "yttelse",  # adressebeskyttelse
    "kjerme",  # skjermet adresse
    "eiepli",  # teieplikt, teiepliktige (nynorsk)
)
# Not anchors, by measurement: T/H/2 start too many words and dates ("Tack", "Hej", "2026-03-14"); teieplikt,
# hemlig and "SFS 2009:400" are found in the windows of other anchors (they rarely stand alone in a marking).
_EXTRA_ANCHORS = ("OSL", "u.off", "U.off", "U.OFF", "§")


def _variants(stem: str) -> set[str]:
    return {stem, stem.upper(), stem.capitalize()}


def _trie_pattern(words: set[str]) -> str:
    """A regex alternation factored by common prefixes (``k(?:retess|varskriv)``)."""
    root: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:  # type: ignore[type-arg]
        alts = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        if "" in node:
            return "(?:" + "|".join(alts) + ")?"
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return emit(root)


ANCHOR_WORDS = sorted({v for s in _ANCHOR_STEMS for v in _variants(s)} | set(_EXTRA_ANCHORS))
PREFILTER = re.compile(_trie_pattern(set(ANCHOR_WORDS)))  # the reference form of the anchor search
# The same anchors found by one DFA pass (leftmost-longest, non-overlapping: what the trie regex finds),
# ~3x faster than the regex on mail text.
ANCHORS = ahocorasick_rs.AhoCorasick(ANCHOR_WORDS, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
                                     implementation=ahocorasick_rs.Implementation.DFA)

# --- OSL references ---------------------------------------------------------------------------------------
_LAW = (
    r"(?:osl|(?:offentlighets-\s?(?:och\s)?)?sekretesslag(?:en)?(?:\s?\((?:sfs\s)?2009:400\))?"
    r"|(?:sfs\s)?2009:400\)?)"
)
_PARA_TAIL = (
    r"(?:\s?(?:första|andra|tredje|fjärde|femte|sjätte|sjunde|åttonde|[1-9])\s(?:st\.?|stycket))?"
    r"(?:\s?(?:p\.?|punkt(?:en)?)\s?[0-9]{1,2})?"
)


def _osl_patterns(para_sign: str) -> tuple[str, ...]:
    """OSL chapter reference patterns (group ``ch``; ``par`` when written ``23:2``).

    ``para_sign`` is ``§`` or, for OCR text, ``[§8$]``; group names get a per-pattern prefix ``{g}``.
    """
    para = rf"(?:[0-9]{{1,2}}\s?[a-z]?\s?(?:-\s?[0-9]{{1,2}}\s?[a-z]?\s?)?{para_sign}{{1,2}})"
    return (
        # 26 kap. 1 § OSL / 25 kap 1§ offentlighets- och sekretesslagen (2009:400) / 26 kap. OSL
        rf"(?P<{{g}}ch>[0-9]{{1,2}})\s?kap(?:\.|itlet)?\s?(?:{para})?{_PARA_TAIL}\s?(?:i\s)?"
        rf"\(?{_LAW}(?![a-zåäö])",
        # OSL 26 kap. 1 § / OSL 23:2
        r"osl\s?(?P<{g}ch>[0-9]{1,2})\s?(?:kap\b\.?|:\s?[0-9]{1,2}(?![0-9]))",
        # 23:2 OSL
        r"(?P<{g}ch>[0-9]{1,2}):(?P<{g}par>[0-9]{1,2})\s?(?:§\s?)?osl(?![a-zåäö])",
    )


OSL_COLON_PAR = re.compile(r"osl\s?[0-9]{1,2}:\s?(?P<par>[0-9]{1,2})")
OSL_PAR = re.compile(r"kap(?:\.|itlet)?\s?(?P<par>[0-9]{1,2})(?![0-9])")

# OSL chapters that hold sekretess provisions (avdelning III-VI) and the concept each names.
OSL_CONCEPTS: dict[int, str] = {
    15: "foreign_affairs_defence",
    16: "foreign_affairs_defence",
    17: "public_economy",
    18: "law_enforcement",
    19: "public_economy",
    20: "public_economy",
    21: "health_sexlife_protected_identity",
    22: "population_registration",
    23: "school",
    24: "research_statistics",
    25: "health_care",
    26: "social_services",
    27: "tax",
    28: "social_insurance",
    29: "transport_communications",
    30: "business_supervision",
    31: "business",
    32: "private_life_misc",
    33: "labour_market",
    34: "insolvency",
    35: "crime_investigation",
    36: "courts",
    37: "migration",
    38: "culture",
    39: "personnel",
    40: "misc",
}
SCHOOL_HEALTH = "student_health"  # 23 kap. 2 § OSL

# --- marker phrases: (rule name shown as sample, class, pattern on lower-cased text) -------------------
# Word start is checked by the detector after a match: a leading lookbehind would defeat re's prefix scan.
_B = ""
_E = r"(?![a-zåäöæø])"  # word end
_DOC_REF = rf"(?:{_LAW}|[0-9]{{1,2}}\s?kap|sfs|§)"

PHRASES: tuple[tuple[str, str, str], ...] = tuple(
    (name, cls, pattern)
    for name, cls, pattern in (
        (
            "sekretess enligt",
            "strong",
            rf"{_B}sekretess,?\s(?:enl(?:igt|\.)|jfr\.?|jf\.?)\s?(?=[^\n]{{0,40}}?{_DOC_REF})",
        ),
        # attributive and generic ("sekretessbelagda uppgifter") says less than predicative ("är sekretessbelagd")
        (
            "sekretessbelagd",
            "medium",
            rf"{_B}sekretessbelag(?:d|t|da|de)\s(?=(?:uppgift|information|handling|data|dokument|material|ärende"
            rf"|mejl|mail|e-post|upplysning|fil|akt|journal|anteckning))",
        ),
        ("sekretessbelagd", "strong", rf"{_B}sekretessbelag(?:d|t|da|de){_E}"),
        ("sekretessprövad", "strong", rf"{_B}sekretessprövad(?:e)?{_E}|{_B}sekretessprövat{_E}"),
        ("sekretessklassad", "strong", rf"{_B}sekretessklassa(?:d|de|t){_E}|{_B}sekretesskyddad(?:e|a)?{_E}"),
        ("sekretessmarkering", "strong", rf"{_B}sekretessmarker(?:ing|ingen|ingar|ad|at|ade){_E}"),
        ("spärrmarkering", "strong", rf"{_B}spärrmarker(?:ing|ingen|ad|at|ade){_E}"),
        ("hemligstämplad", "medium", rf"{_B}hemligstämpla(?:d|t|de){_E}"),
        ("kvarskrivning", "strong", rf"{_B}kvarskriv(?:en|na|ning|ningen|et){_E}"),
        ("fingerade personuppgifter", "strong", rf"{_B}fingerade\spersonuppgifter|{_B}fingerad\sidentitet"),
        ("skyddad identitet", "strong", rf"{_B}skyddad(?:e)?\sidentitet(?:er)?{_E}"),
        ("skyddad folkbokföring", "strong", rf"{_B}skyddad(?:e)?\sfolkbokföring(?:en)?{_E}"),
        ("skyddade personuppgifter", "person", rf"{_B}skyddade\spersonuppgifter(?:na)?{_E}"),
        ("skyddad adress", "person", rf"{_B}skyddad(?:e)?\sadress(?:en|er)?{_E}"),
        (
            "omfattas av sekretess",
            "medium",
            rf"{_B}(?:omfattas|omfattad|omfattade)\sav\s(?:\w+\s)?sekretess{_E}|{_B}belag(?:d|da|t)\smed\ssekretess{_E}"
            rf"|{_B}under\ssekretess{_E}|{_B}råder\s(?:\w+\s)?sekretess{_E}|{_B}sekretess\sråder{_E}",
        ),
        ("sekretess gäller", "medium", rf"{_B}sekretess\sgäller{_E}|{_B}gäller\s(?:\w+\s)?sekretess{_E}"),
        (
            "sekretess",
            "label",
            rf"{_B}sekretess{_E}(?=\s?[:!]|[ \t]*(?:\n|$))"
            r"(?!\s?:\s?(?:nej|ej|ingen|inte|nei|ikke|no)(?![a-zåäö]))",
        ),
        ("sfs 2009:400", "medium", r"(?:sfs\s)?2009:400(?![0-9])"),
        ("tystnadsplikt", "medium", rf"{_B}tystnadsplikt(?:en)?{_E}"),
        (
            "konfidentiell",
            "weak",
            rf"{_B}(?:strikt\s|strängt\s|strictly\s)?(?:konfidentiel(?:l|lt|la)|konfidensiel(?:l|t|le)|confidential)"
            rf"{_E}",
        ),
        (
            "hemlig",
            "weak",
            rf"{_B}(?:begränsat\s|kvalificerat\s)?hemlig(?:t|a)?{_E}|{_B}(?:strengt\s)?hemmelig(?:t|e)?{_E}",
        ),
        ("känsliga personuppgifter", "weak", rf"{_B}känsliga\spersonuppgifter{_E}"),
        (
            "unntatt offentlighet",
            "strong",
            rf"{_B}un?ntatt\s(?:fra\s)?offentlighet(?:en)?{_E}|{_B}un?ntatt\soff\.|{_B}u\.\s?off\."
            rf"|{_B}unnateke\s(?:frå\s)?offentlegheit{_E}",
        ),
        ("unntatt fra innsyn", "medium", rf"{_B}(?:un?ntatt|unnateke|unnteke)\s(?:(?:fra|frå)\s)?innsyn{_E}"),
        (
            "offl. § 13",
            "strong",
            r"(?:offl\.?|offentleglova|offentlighetsloven)\s?§\s?(?P<offl>[0-9]{1,2})(?![0-9])",
        ),
        ("fvl. § 13", "strong", r"fvl\.?\s?§\s?13(?![0-9])"),
        ("taushetsbelagt", "medium", rf"{_B}taushetsbelag(?:t|te|d){_E}"),
        ("taushetsplikt", "medium", rf"{_B}(?:lovbestemt\s)?taushetsplikt(?:en|ig|ige)?{_E}"),
        ("teieplikt", "medium", rf"{_B}teieplikt(?:a|en|ig|ige)?{_E}"),
        ("strengt fortrolig", "strong", rf"{_B}strengt\sfortrolig{_E}"),
        ("fortrolig adresse", "strong", rf"{_B}fortrolig\sadresse{_E}"),
        ("fortrolig", "medium", rf"{_B}fortrolig(?:t|e)?{_E}(?!\sadresse)"),
        ("skjermet adresse", "person", rf"{_B}(?:skjermet|sperret)\s(?:adresse|identitet){_E}"),
        ("adressebeskyttelse", "person", rf"{_B}(?:strengt\s)?(?:adressebeskyttelse|adressesperre){_E}"),
        ("kode 6/7", "weak", r"kode[\s-]?[67](?![0-9])"),
    )
)
NAVET_CODE = r"010(?:03|20)(?![0-9])"


_SEKRETESS = (
    "sekretess enligt",
    "sekretessbelagd",
    "sekretessprövad",
    "sekretessmarkering",
    "omfattas av sekretess",
    "sekretess gäller",
    "sekretess",
    "sfs 2009:400",
    "sekretessklassad",
)
_NO_REFS = ("offl. § 13", "fvl. § 13")
# Which rules to try around an anchor (its lower-cased stem); "extra" rules have no anchor of their own.
FAMILIES: dict[str, tuple[str, ...]] = {
    "kretess": (*_SEKRETESS, "spärrmarkering", "@osl", "@navet"),
    "osl": ("sfs 2009:400", "@osl"),
    "yddad": (
        "skyddad identitet",
        "skyddad folkbokföring",
        "skyddade personuppgifter",
        "skyddad adress",
        "fingerade personuppgifter",
        "@navet",
    ),
    "kvarskriv": ("kvarskrivning", "@navet"),
    "fingerad": ("fingerade personuppgifter",),
    "ystnad": ("tystnadsplikt",),
    "konfiden": ("konfidentiell",),
    "confiden": ("konfidentiell",),
    "känslig": ("känsliga personuppgifter",),
    "untatt": ("unntatt offentlighet", "unntatt fra innsyn", *_NO_REFS),
    "unntat": ("unntatt offentlighet", "unntatt fra innsyn", *_NO_REFS),
    "unnatek": ("unntatt offentlighet", "unntatt fra innsyn", *_NO_REFS),
    "ushet": ("taushetsbelagt", "taushetsplikt", *_NO_REFS),
    "fortrolig": ("strengt fortrolig", "fortrolig adresse", "fortrolig", "kode 6/7"),
    "yttelse": ("adressebeskyttelse",),
    "kjerme": ("skjermet adresse",),
    "eiepli": ("teieplikt",),
    "u.off": ("unntatt offentlighet", *_NO_REFS),
    "§": _NO_REFS,  # "Jf. offl. § 13" alone; OSL references with § have their own anchors
    "extra": (
        "hemlig",
        "hemligstämplad",
        "spärrmarkering",
        "kode 6/7",
        "teieplikt",
        "fortrolig adresse",
        "skjermet adresse",
        "fingerade personuppgifter",
        *_NO_REFS,
        "@navet",
    ),
}

# Cheap substring gate for the "extra" family: every extra rule contains one of these.
EXTRA_KEYS = (
    "heml",
    "hemm",
    "kode",
    "teiepl",
    "fortrolig",
    "skjerm",
    "sperr",
    "fingerad",
    "spärr",
    "offl",
    "fvl",
    "offentl",
    "010",
)


def _combined(names: tuple[str, ...], para_sign: str) -> tuple[re.Pattern[str], dict[str, tuple[str, str, str]]]:
    """One alternation of the named rules: group name -> (kind, rule, class)."""
    phrases: dict[str, list[tuple[int, str, str]]] = {}
    for i, (name, cls, pattern) in enumerate(PHRASES):  # a name may have several forms, tried in order
        phrases.setdefault(name, []).append((i, cls, pattern))
    parts: list[str] = []
    rules: dict[str, tuple[str, str, str]] = {}
    for name in names:
        if name == "@osl":
            for i, pattern in enumerate(_osl_patterns(para_sign)):
                parts.append(f"(?P<o{i}>{pattern.replace('{g}', f'o{i}')})")
                rules[f"o{i}"] = ("osl", f"o{i}", "strong")
        elif name == "@navet":
            parts.append(f"(?P<navet>{NAVET_CODE})")
            rules["navet"] = ("navet", "navet 01003/01020", "strong")
        else:
            for i, cls, pattern in phrases[name]:
                parts.append(f"(?P<p{i}>{pattern})")
                rules[f"p{i}"] = ("phrase", name, cls)
    return re.compile("|".join(parts)), rules


FAMILY_PATTERNS = {stem: _combined(names, "§") for stem, names in FAMILIES.items()}
FAMILY_PATTERNS_OCR = {stem: _combined(names, "[§8$]") for stem, names in FAMILIES.items()}
NAVET_KEYWORDS = re.compile(r"navet|sekretess|skydd|kod|spärr")

# --- context cues (lower-cased) -------------------------------------------------------------------------
DISCLAIMER_HEDGE = re.compile(
    r"kan\sinnehålla|kan\sinneholde|kan\sindeholde|may\scontain|might\scontain|could\scontain"
    r"|eventuellt\sinnehåller|may\sbe\s(?:confidential|privileged)"
)
DISCLAIMER_CUES = re.compile(
    r"av\smisstag|felaktigt\s(?:mottagit|adresserat)|rätt\smottagare|avsedda?\smottagare|avsett\s(?:endast\s|enbart\s)?för"
    r"|avsedd\s(?:endast\s|enbart\s)?för|radera\s(?:meddelandet|detta|e-post)|meddela\savsändaren"
    r"|ved\sen\sfeil|rette\smottaker|riktig\smottaker|tiltenkte\smottaker|beregnet\sfor|ment\sfor|vennligst\sslett"
    r"|gi\sbeskjed\stil\savsender|feilsendt|in\serror|intended\s(?:solely\s|only\s)?for|intended\srecipient"
    r"|notify\sthe\ssender|delete\s(?:this|the|it)|unauthori[sz]ed"
)
GENERAL_CUES = re.compile(
    r"utbildning(?:en|ar)?\s(?:i|om)\s|kurs(?:en)?\s(?:i|om)\s|inbjudan|anmäl\sdig"
    r"|(?:välkommen|välkomna|velkommen)\stil+\s(?:[^\s.!?]+\s){0,3}?(?:utbildning|kurs|föreläsning|seminar|webbinar"
    r"|webinar|frukost|frokost|träff|halvdag|heldag|fagdag|samling|workshop|opplæring|informationsmöte|dag\som)"
    r"|anmälan\s(?:senast|görs|sker\svia)|sista\sanmälningsdag"
    r"|temadag|fagdag|studiedag|kursdag|konferens|program\s(?:för|for)|agenda|dagordning|föredrag"
    r"|foredrag|(?:^|\n)[ \t]*(?:kl\.?\s?)?[0-2]?[0-9][.:][0-5][0-9][^\n]*"  # two schedule lines in a row
    r"\n[ \t]*(?:kl\.?\s?)?[0-2]?[0-9][.:][0-5][0-9]\s"
    r"|föreläsning|seminari|webbinari|webinar|workshop|utbildningsdag|e-utbildning|frukostmöte|nyhetsbrev"
    r"|policy|riktlinje|rutin(?:en)?\sför|vägledning|handbok|frågor\soch\ssvar|vad\sinnebär|innebär\s(?:att|ett|en)\s"
    r"|i\sallmänhet|generellt|lagstiftning|offentlighet\soch\ssekretess|offentlighetsprincipen"
    r"|hur\sgör\s(?:jag|vi|man|du)|(?:^|\n)\s*(?:svar|fråga|spørsmål)\s?:|hvordan\sgjør\s(?:jeg|vi|man)"
    r"|(?:olika\s|två\s|tre\s|fyra\s|to\s)?(?:typer|former|sorters?)\sav|betyder\satt|betyr\sat|kallas\sför"
    r"|kalles|definieras|defineres|exempel\spå|eksempel\spå"
    r"|läs\smer|mer\sinformation\s(?:om|finns)|så\sfungerar|hur\sfungerar|vad\sär\s|les\smer|mer\sinformasjon"
    r"|slik\sfungerer|hva\ser\s|hva\sinnebærer"
    r"|opplæring|kurs\s(?:i|om)\s|invitasjon|påmelding|veileder|retningslinje|rutine(?:n)?\sfor"
    r"|innebærer|offentlighet\sog\s(?:taushet|innsyn)|training|course\son|invitation|newsletter|guideline"
    # advice about the e-mail channel: "får inte skickas med e-post", "skal ikke sendes på e-post"
    r"|(?<![a-zåäöæø])(?:inte|ej|aldrig|ikke|aldri|never|not)\s(?:[^\s.!?]+\s){0,4}?(?:skick|sänd|mejl|mail|send)"
    r"[a-zåäö]*\s(?:[^\s.!?]+\s){0,4}?(?:med|via|per|på|by|over|through)\s(?:[^\s.!?]+\s)?(?:e-?post|mejl|e-?mail|mail|sms|fax|chatt?|teams|sociala\smedier|sosiale\smedier)"
    r"|(?<![a-zåäöæø])(?:skick|sänd|send)[a-zåäö]*\s(?:[^\s.!?]+\s){0,3}?(?:inte|ej|aldrig|ikke|aldri|never)\s"
    r"(?:[^\s.!?]+\s){0,4}?(?:med|via|per|på|by)\s(?:[^\s.!?]+\s)?(?:e-?post|mejl|e-?mail|mail|sms|fax|chatt?|teams|sociala\smedier|sosiale\smedier)"
    r"|inte\s(?:är\s)?(?:ett\s)?säk(?:er|ert|ra)|ikke\s(?:er\s)?(?:en\s)?sikker|undvik\satt\s(?:skicka|mejla)"
)
# Generic advice with the marker as its object: "(tänk på att) inte publicera sekretessbelagda uppgifter".
# After the marker ("har skyddad identitet, så namnet får inte publiceras") it is an instruction about a case.
ADVICE_BEFORE = re.compile(
    r"(?<![a-zåäöæø])(?:inte|ej|aldrig|ikke|aldri|never|not)\s(?:[^\s.!?]+\s){0,2}?"
    r"(?:skicka|sända|mejla|maila|e-posta|sende|send|publicera|publisere|sprida|spre|dela|dele|lägga\sut"
    r"|legge\sut|lämna\sut|share|post)(?:\s(?:[^\s.!?]+)){0,3}?\s?$"
)
# The opening of an attached document that explains rules rather than carrying a case (a policy, routine,
# handbook, course material): its mentions of sekretess are about sekretess.
DOC_GENERAL_CUES = re.compile(
    r"riktlinje|rutin(?:er|en)?\s(?:för|vid)|policy|handbok|vägledning|lathund|instruktion|checklista|utbildning"
    r"|kursmaterial|informationsmaterial|retningslinje|rutine(?:r|n)?\s(?:for|ved)|veileder|håndbok|instruks"
    r"|opplæring|kursmateriell|presentasjon|presentation|föreskrift|forskrift|reglemente|delegationsordning"
)
# A subject line or file name that names a routine, policy or course ("Rutin skyddad identitet.pdf").
HEADER_GENERAL_CUES = re.compile(
    r"(?<![a-zåäöæø])(?:rutin(?:er|en)?|riktlinje[rn]?|policy|utbildning|kurs(?:en)?|handbok|vägledning|lathund"
    r"|checklista|mall|rutine[rn]?|retningslinje[r]?|veileder|opplæring|presentation|presentasjon)(?![a-zåäöæø])"
)
STATUTE_CUES = re.compile(
    r"utan\shinder\sav|uten\shinder\sav|utan\somsyn\stil|lag\s\([0-9]{4}:[0-9]{1,4}\)|denna\slag|lagen\shär"
    r"|loven\sher|lova\sher|denne\slov|forskrifta\sher|forskriften\sher|i\stillämpliga\sdelar|tillämpas"
    r"|gjelder\stilsvarende|gjeld\stilsvarande|som\savses\si|som\snevnt\si|framgår\sav|finns\sbestämmelser"
    r"|§§\s[0-9]|detsamma\sgäller|det\ssamme\sgjelder|det\ssame\sgjeld|(?<![a-zåäöæø])den\ssom\s"
    r"|(?<!sekretess)lag(?:en)?\s\((?!2009:400)[0-9]{4}:[0-9]{1,4}\)"
    # OSL's damage tests: a quoted provision, not a marking ("om det inte står klart att uppgiften kan röjas")
    r"|om\sdet\sinte\sstår\sklart\satt|om\sdet\skan\santas\satt|lider\s(?:skada\seller\s)?men(?![a-zåäö])"
)
# A negated marking says the opposite: "är inte sekretessbelagd", "er ikke unntatt offentlighet".
NEGATED_BEFORE = re.compile(
    r"(?<![a-zåäöæø])(?:inte|ej|icke|ikke|ikkje|not|ingen|inga)\s(?:(?:längre|lenger|heller|alls|är|er)\s)?$"
)
# A release decision in the same sentence: "sekretessprövad och kan lämnas ut i sin helhet".
RELEASED_AFTER = re.compile(
    r"^[^.!?\n]{0,60}?(?:lämnas|utlämnas|gis|gjøres)\s(?:ut\s)?(?:i\ssin\shelhet|utan\s(?:förbehåll|maskering|"
    r"maskeringar|sekretess)|fullt\sinnsyn|full\sinnsyn|innsyn\si\ssin\shelhet)"
)
# Where a mail's own text ends: a sign-off, a signature separator or a mobile footer. Cues after it (a GDPR
# footer's "läs mer på") describe the sender's organisation, not the marked content.
SIGN_OFF = re.compile(
    r"\n[ \t]*(?:med\svänlig\shälsning|vänliga\shälsningar|vänlig\shälsning|hälsningar|mvh|med\svennlig\shilsen"
    r"|vennlig\shilsen|hilsen|helsing|best\sregards|kind\sregards|skickat\sfrån|sendt\sfra|--[ \t]*\n|—[ \t]*\n)"
)
DEMONSTRATIVE = re.compile(
    r"(?<![a-zåäöæø])(?:denna|detta|dessa|bifoga[dt]e?|bilag[dt]a?|nedanstående|ovanstående|följande|härmed|här\skommer"
    r"|skickar|översänder|bifogar|denne|dette|disse|vedlagte?|nedenstående|oversender|oversendes|this|attached)\s"
    r"(?:[^\s.!?]+\s){0,2}?(?:handling|dokument|mejl|mail|meddelande|e-post|epost|bilag|uppgift|information"
    r"|utredning|anteckning|journal|beslut|underlag|yttrande|protokoll|rapport|fil|ärende|anmälan|orosanmälan|brev"
    r"|akt|melding|notat|opplysning|sak|vedlegg|document|message|file|report|tråd|konversation)"
)
# "Uppgifterna [i ärendet] [är] <marker>", "Dokumentet er <marker>": a definite subject right before it
DEFINITE_BEFORE = re.compile(
    r"(?<![a-zåäöæø])(?:detta|det\shär|dette|det\sher|handlingen|handlingarna|dokumentet|dokumenten|mejlet|mailet"
    r"|meddelandet|e-postmeddelandet"
    r"|bilagan|bilagorna|uppgifterna|informationen|utredningen|ärendet|anteckningarna|journalen|beslutet|underlaget"
    r"|yttrandet|protokollet|rapporten|filen|innehållet|akten|e-posten|eposten|meldingen|brevet|notatet"
    r"|opplysningene|opplysningane|informasjonen|vedlegget|vedlegga|saken|saka|vedtaket|dokumenta)"
    r"(?:\s(?:i|om|från|fra|nedan|nedanför|nedenfor|nedafor|här|her|under|ovan|ovenfor)(?:\s[^\s.!?,]+){0,2}?)?"
    r"(?:\s(?:är|er|blir|vert|ligger|ska|skall|skal|vara|være|vere|anses|räknas|som|omfattas|omfattes|omfattet"
    r"|omfatta|av|under|underlagt|underlagd|underlagda|underlagde|underlagte|belagd|belagda|belagt|med|därför"
    r"|derfor|också|også|helt|delvis|därmed|dermed|fortsatt)){0,4}\s?$"
)
# "innehåller sekretessbelagda uppgifter": a plain statement about this text (not "kan innehålla", not "som")
CONTAINS_BEFORE = re.compile(
    r"(?<![a-zåäöæø])(?<!som\s)(?<!kan\s)(?:innehåller|inneholder|inneheld|contains)(?:\s[^\s.!?,]+){0,2}?\s?$"
)
# "Taushetsplikt etter forvaltningsloven § 13" on a label line cites the ground: a marking, not a heading
REF_AFTER = re.compile(r"\s?(?:etter|jf\.?|jfr\.?|enligt|enl\.|iht\.?|i\shenhold\stil)\s(?:[^\s]+\s){0,2}?(?:§|[0-9])")
# Protected personal data is about someone: a singular/definite person near it, or "har/är/fått" right before.
# ("personer med skyddade personuppgifter", "antall barn med adressebeskyttelse" are about no one in particular.)
PERSON_CUES = re.compile(
    r"(?<![a-zåäöæø])(?:eleven|elev|elevens|barnet|barnets|klienten|klientens|brukaren|brukarens|patienten"
    r"|familjen|familjens|mamman|pappan|modern|fadern|vårdnadshavaren|personen|sökanden|flickan|pojken|kvinnan"
    r"|mannen|hon|han|hen|hans|hennes|pasienten|brukeren|familien|hun|vedkommende|gutten|jenta|moren|mora|faren"
    r"|søkeren|den\sunge)(?![a-zåäöæø])"
)
PERSON_VERB_BEFORE = re.compile(
    r"(?<![a-zåäöæø])(?:har|hade|är|er|fått|fick|fikk|beviljats|beviljades|innvilget|lever\smed|bor\spå|bor\smed)"
    r"\s(?:\w+\s)?$"
)
LABEL_PREFIX = re.compile(
    r"^[\s*>\[(#]*(?:(?:obs|observera|nb|viktigt?|notera|märk|merk|merknad|note|important|status|märkning"
    r"|title|subject|keywords?|category|rubrik|ämne|emne|tittel|nyckelord|stikkord"
    r"|(?P<cls>klassificering|klassning|informationsklass(?:ning)?|säkerhetsklass|gradering|skjerming|klassifisering"
    r"|skjermingsgrad|sensitivity|classification))[\s\W]*)?$",
    re.IGNORECASE,
)


# Cue lists with dozens of alternatives run literal-gated (see _gated.py): same answers, a fraction of the time.
GENERAL_CUES_FAST = Gated(GENERAL_CUES)
STATUTE_CUES_FAST = Gated(STATUTE_CUES)
DISCLAIMER_CUES_FAST = Gated(DISCLAIMER_CUES)
DOC_GENERAL_CUES_FAST = Gated(DOC_GENERAL_CUES)
