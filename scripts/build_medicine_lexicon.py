"""Derive ``policies/lexicons/health_medicines.txt`` from the NorMedTerm/FEST rows in tests/data/health/.

FEST product names carry form and strength (``Concerta DEPOTtab 18 mg``); we keep the name before the first
form word, digit or bracket, take its first word as the substance or brand, and drop names that are too short,
not a single word, or an everyday word (found in the Swedish, Norwegian or English hunspell dictionaries,
``/usr/share/hunspell``) unless they carry a typical drug-name ending. Vitamins, minerals, herbals, allergen
extracts and OTC painkillers are excluded or weak (curated lists below). A Swedish spelling (``ks`` -> ``x``,
``levotyroksin`` -> ``levotyroxin``) is added where it differs.

Run: ``python scripts/build_medicine_lexicon.py > policies/lexicons/health_medicines.txt`` (needs the
hunspell-sv, hunspell-no and hunspell-en-us dictionaries; output is deterministic).
Data: NorMedTerm (CC BY 4.0) and FEST, Direktoratet for medisinske produkter (NLOD).

Security: a build-time tool over files in the repository and the system dictionaries; never run on mail.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TSV = ROOT / "tests/data/health/no_medical_terms_normedterm_fest_famhist.tsv"
DICTS = ["sv_SE", "nb_NO", "nn_NO", "en_US"]
FORM = re.compile(
    r"^(?:tab|kaps|inj|pulv|mikst|oppl|inh|øyedr|øredr|krem|gel|salve|spray|nesespray|stikkpille|dråper|"
    r"depottab|depotkaps|enterotab|enterokaps|smeltetab|tyggetab|sugetab|brusetab|depotplaster|plaster|"
    r"inf|kons|susp|gran|liniment|sjampo|vaginaltab|vagitorie|munnspray|munnhulepasta|pastill|væske|"
    r"medisinert|implantat|tyggegummi|drink|pasta|emulsjon|gass|pensel|skum|pulver|sirup|mikstur|sett|"
    r"retard|depot|mite|forte|comp|junior|mini|novum|zok|sandoz|accord|mylan|krka|actavis|teva|orion|"
    r"orifarm|bluefish|ratiopharm|hexal|zentiva|stada|viatris|aurobindo|medical|pharma|fresenius|kabi|"
    r"apotektilvirket|nycomed|baxter|hospira|pfizer|abboxia|1a|b\.|og|med|til|av|i|for|and|of|with)$",
    re.IGNORECASE,
)
DRUG_ENDING = re.compile(
    r"(?:pam|lam|pril|sartan|statin|mab|nib|azol|cillin|cilin|mycin|micin|xacin|ksacin|olol|dipin|tidin|"
    r"prazol|oxetin|oksetin|triptan|setron|fenac|profen|barbital|tiapin|peridon|pramin|zepam|azepam|"
    r"zolam|idon|umab|ximab|kinra|parin|navir|vudin|ciklovir|ovir|gliptin|glifozin|gliflozin|tinib|"
    r"dronat|tropium|terol|sonid|meton|olon|ison|asone|ason|adol|fentanil|fentanyl|morfin|kodon|xon|"
    r"kon|amin|etamin|fetamin|ridon|tiazid|semid|lukast|platin|rubicin|taxel|tecan|trexat|kain|caine|avir|asvir|"
    r"previr|gravir|citabin|citabine|denafil|dalafil|vaptan|lastatin|sulindac|globin)$"
)
EXCLUDE_START = re.compile(
    r"^(?:vitamin|[a-e]\d?-vitamin|kalsium|calcium|magnesium|kalium|potassium|natrium|sodium|jern|iron|"
    r"zink|zinc|selen|jod|fluor|krom|omega|fiske|fish|tran|kosttilskudd|allergen|pollen|bjørk|gress|"
    r"timotei|hund|katt|hest|midd|insekt|bie|veps|melk|egg|soya|hvete|peanøtt|nøtt|urte|plante|"
    r"vaksine|vaccine|virus|bakterie|stamme|serotype|human|humant|water|vann|oksygen|oxygen|luft|"
    r"glukose|glucose|sukker|salt|olje|oil|ekstrakt|extract|te|honning|aloe|arnica|echinacea|valeriana|"
    r"ginkgo|ginseng|hypericum|urtica|mentha|menthol|mentol|kamfer|eukalyptus|lakris|ingefær)",
    re.IGNORECASE,
)
OTC_WEAK = {
    "paracetamol", "ibuprofen", "alvedon", "panodil", "pamol", "paracet", "ipren", "ibux", "brufen",
    "ibumetin", "aspirin", "albyl", "treo", "magnecyl", "naproxen", "pronaxen", "naprosyn",
    "voltaren", "diklofenak", "diclofenac", "otrivin", "nezeril", "zyrtec", "cetirizin", "loratadin",
    "clarityn", "aerius", "desloratadin", "bisolvon", "nicorette", "nicotinell", "zoviduo", "lactulose",
    "laktulose", "duphalac", "imodium", "loperamid", "novaluzid", "samarin", "link", "resorb",
    "microlax", "vicks", "strepsils", "bafucin", "frubiase", "idoform", "bifiform", "dexofen",
}
KEEP = {  # dictionary words that are genuinely medicine names in mail
    "insulin", "morfin", "metadon", "kodein", "heroin", "kortison", "penicillin", "antibiotika", "litium",
    "metformin", "warfarin", "antabus", "melatonin", "adrenalin", "digoxin", "kinin", "ritalin", "valium",
    "prozac", "viagra", "subutex", "suboxone", "concerta", "zoloft", "xanax", "stesolid", "tramadol",
    "oxykodon", "oksykodon", "fentanyl", "buprenorfin", "naloxon", "metylfenidat", "lisdexamfetamin",
    "atomoksetin", "atomoxetin", "sertralin", "cipramil", "propavan", "sobril", "theralen", "imovane",
    "zopiklon", "zolpidem", "quetiapin", "kvetiapin", "olanzapin", "risperidon", "aripiprazol", "haldol",
    "haloperidol", "klozapin", "clozapin", "lamotrigin", "valproat", "karbamazepin", "levetiracetam",
    "pregabalin", "gabapentin", "lyrica", "neurontin", "levaxin", "euthyrox", "levotyroksin", "waran",
    "marevan", "eliquis", "xarelto", "pradaxa", "novorapid", "humalog", "lantus", "levemir", "tresiba",
    "ozempic", "victoza", "trulicity", "saxenda", "wegovy", "mounjaro", "elvanse", "strattera", "medikinet",
    "intuniv", "equasym", "circadin", "sertraline", "fluoksetin", "fluoxetin", "citalopram", "escitalopram",
    "cipralex", "venlafaksin", "venlafaxin", "mirtazapin", "remeron", "efexor", "cymbalta", "duloksetin",
    "bupropion", "voxra", "wellbutrin", "lergigan", "atarax", "hydroxizin", "hydroksyzin", "truxal",
}


def dictionary() -> set[str]:
    words: set[str] = set()
    for name in DICTS:
        path = Path("/usr/share/hunspell") / f"{name}.dic"
        if not path.is_file():
            sys.exit(f"missing {path}: apt-get install hunspell-sv hunspell-no hunspell-en-us")
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[1:]:
            words.add(line.split("/", 1)[0].strip().lower())
    return words


JUNK = set(
    "agnus avena aviær borea carbo cetyl decyl flavi gluco hepar inakt iodum ledum litio malic mites natto "
    "octyl oleyl outer panax pinus poria preop probi proso rosea sodio tauro triam trica vitex zenon samin "
    "giona boldo buchu medox metex oftan pinex sedix tapin tymol viant vival zalna zilas kajos imaxi antix "
    "alsol bonyl dekas dexyl diben fotil lanzo lomir migea pabal pedea qtern zonat xphen xylen bevon danol "
    "cleye arzol brizo foxim lodoz nuwiq somac tacni torem velbe volon vomex wakix xmtvi airol minerals "
    "propyl "
    "silika volumen enzymer organo capric psyllium denatonium frangula amaryl enfamil priorin prostin tussin "
    "celebra propal comtess bonviva".split()
)
LATIN = re.compile(r"^[a-z]+(?:a|ae|is|um|us|ii|es|ense|ensis|alis|atum|ata|ina)$")


def candidate(term: str) -> str | None:
    name: list[str] = []
    for tok in term.replace(",", " ").split():
        if tok[0].isdigit() or "(" in tok or "/" in tok or "%" in tok or FORM.match(tok):
            break
        name.append(tok)
    if not name or (len(name) >= 2 and LATIN.match(name[1])):  # herbal/homeopathic "Genus species"
        return None
    word = name[0].strip(".,;:").lower()
    if word in JUNK:
        return None
    if not re.fullmatch(r"[a-zæøåäöéü]+(?:-[a-zæøåäöéü]+)?", word) or len(word) < 5:
        return None
    return word


FOOD = re.compile(
    r"(?:hvitløk|løk|oliven|rødbet|farge|olje|pulver|blad|frø|bær|saft|sukker|melk|smak|krydder|røyk|tobak|"
    r"alkohol|eddik|gjær|urt|blomst|frukt|grønn|salt|vann|voks|gummi|stivelse|syre|lim|tre|skall|rot|"
    r"fett|kjerne|mandel|honning|sitron|appelsin|eple|jordbær|kakao|kaffe|vanilje|mynte|lavendel)"
)


def swedish(word: str) -> str:
    """Swedish INN spelling: ``oksykodon`` -> ``oxykodon`` (only ``ks`` before a vowel)."""
    return re.sub(r"ks(?=[aeiouyæøå])", "x", word)


def prose_words() -> set[str]:
    """Tokens of the statute prose in tests/data/prose: a word used in laws is an everyday word."""
    words: set[str] = set()
    for path in sorted((ROOT / "tests/data/prose").glob("*.txt")):
        text = path.read_text(encoding="utf-8").lower()
        words.update(re.findall(r"[a-zæøåäöéü]+(?:-[a-zæøåäöéü]+)?", text))
    return words


def main() -> None:
    everyday = dictionary()
    prose = prose_words()
    names: set[str] = set()
    for line in TSV.read_text(encoding="utf-8").splitlines()[1:]:
        term, _cat, source, _ = line.split("\t")
        if source != "FEST":
            continue
        word = candidate(term)
        if word is None or EXCLUDE_START.match(word) or FOOD.search(word):
            continue
        if word in prose and word not in KEEP and not DRUG_ENDING.search(word):
            continue
        if word in everyday and word not in KEEP and not DRUG_ENDING.search(word):
            continue
        names.add(word)
    names |= {k for k in KEEP if len(k) >= 5}
    out = ["# Medicine substances and brands (generated by scripts/build_medicine_lexicon.py; do not edit,",
           "# extend in policies/lexicons/local/). Contains data from NorMedTerm (CC BY 4.0) and FEST,",
           "# Direktoratet for medisinske produkter (NLOD).", "# stem anchor weight concept"]
    seen: set[str] = set()
    for word in sorted(names):
        for form in dict.fromkeys((word, swedish(word))):
            if form in seen:
                continue
            seen.add(form)
            weight = "W" if form in OTC_WEAK else "S"
            anchor = "head" if word in KEEP else ("word" if len(form) >= 6 else "exact")
            out.append(f"{form} {anchor} {weight} med:{word}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
