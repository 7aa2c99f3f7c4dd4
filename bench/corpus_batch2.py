"""Second corpus batch: scenarios written AFTER the first evaluation round (so after reading the rules).

Kept apart from ``corpus_scenarios.py`` (written blind) so the report can show both: batch 1 measures the
rules on mail they were not shaped by; batch 2 probes styles batch 1 lacked (lower-case chat style, HTML-only
mail, DOCX tables, long forwarded chains, staff news naming people, English mixed in).

Security: synthetic data only (test identity numbers, invented names).
"""

from __future__ import annotations

from typing import Any

from corpus_files import make_docx, make_xlsx
from corpus_scenarios import C, H, P, S, Scenario


def _docx_table(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    rows = [["Namn", "Personnummer", "Insats"]]
    rows += [[f"Brukare {i + 1}", f"{n[:8]}-{n[8:]}", "Hemtjänst"] for i, n in enumerate(f.pnr_list(3, kids=False))]
    return [("brukarlista_v12.docx", make_docx(["Brukare som flyttas till nytt team:"], table=rows))]


def _xlsx_health(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    rows: list[list[object]] = [["Namn", "Rum", "Läkemedel", "Kommentar"],
                                [f"{v['fn']} {v['ln']}", "12", "Waran, Furix", "Blodförtunnande, kontrollera PK"],
                                [f"{v['fn2']} {v['ln2']}", "14", "Insulatard", "Diabetes, blodsocker x2"],
                                [f"{v['fn3']} {v['ln3']}", "15", "Sobril vb", "Orolig kvällstid, demens"]]
    return [("boende_avd2.xlsx", make_xlsx(rows, "Avd 2"))]


def _staff_xlsx(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    rows: list[list[object]] = [["Namn", "Roll", "Anställningsnummer", "Start"],
                                ["Anna Berg", "Undersköterska", 100234, "2024-04-01"],
                                ["Per Lind", "Sjuksköterska", 100235, "2024-04-15"]]
    return [("nyanstallda.xlsx", make_xlsx(rows))]


BATCH2_POSITIVES: list[Scenario] = [
    Scenario("b2_lowercase_chat", "ang {child}",
             "hej! {child} är hemma idag igen, hon har fått en ny migränattack och tar sumatriptan. "
             "läkaren på vc säger att det kan vara stressrelaterat. /mamma", [H]),
    Scenario("b2_html_only_case", "Inför mötet", "Hej,\nKlienten {fn} {ln} ({pnr}) har bipolär sjukdom och "
             "tar litium. Han har varit inlagd på psyk två gånger i år.", [P, H], html=True),
    Scenario("b2_docx_table_pnr", "Brukarlista", "Hej, se bifogad lista.", [P, H], attach=_docx_table),
    Scenario("b2_xlsx_meds", "Läkemedel avd 2", "Hej nattpersonalen, här är listan för avd 2.", [H],
             attach=_xlsx_health),
    Scenario("b2_long_forward", "VB: VB: SV: elev",
             "Se nedan, kan du ta det här?\n\n-----Ursprungligt meddelande-----\nFrån: Rektor\nSkickat: den 3 "
             "mars 2024 10:12\nÄmne: SV: elev\n\nJa, vi behöver ett EHM.\n\n-----Ursprungligt meddelande-----\n"
             "Från: Mentor\n\nHej, {fn} {ln} i 8B har sagt till mig att hon har ätstörningar och har gått ner "
             "mycket i vikt. Föräldrarna vet inte.", [H]),
    Scenario("b2_english_mixed", "Re: placement",
             "Hi,\nas discussed, {fn} {ln} (personnummer {pnr12}) has been diagnosed with autism and needs "
             "a quiet classroom. Mvh", [P, H]),
    Scenario("b2_subject_only", "Sjukintyg {fn} {ln}", "Se bifogat.\n", [H]),
    Scenario("b2_hiv", "Smittskydd", "Hej,\n{fn} {ln} är hivpositiv och har välinställd behandling. Det "
             "finns ingen smittrisk i verksamheten men hon vill att personalen vet.", [H]),
    Scenario("b2_lvm", "LVM", "Hej!\nVi har idag ansökt om vård enligt LVM för {fn} {ln}, {pnr}. Han har ett "
             "tungt missbruk av opioider.", [P, H]),
    Scenario("b2_nynorsk_barnevern", "Melding", "Hei,\nguten {child} fortel at far slår han når han er "
             "full. Vi har sendt bekymringsmelding til barnevernet. Dette er teiepliktige opplysningar.",
             [C, S], no=True),  # violence, not health: child welfare is special_category (design §6.7)
    Scenario("b2_no_sykefravaer", "Sykefravær", "Hei,\n{fn} {ln} er sykmeldt 100 % ut april på grunn av "
             "utbrenthet. NAV-møte er avtalt. Mvh", [H], no=True),
    Scenario("b2_no_pasient_fnr", "Pasient", "Pasienten {fn} {ln}, f.nr. {fnr}, har fått time på DPS for "
             "vurdering av depresjon.", [P, H], no=True),
    Scenario("b2_religion_parent", "Ledighet",
             "Hej, {child} kommer vara ledig på fredag pga Eid, vi är muslimer och firar med familjen. "
             "Tack!", [S]),
    Scenario("b2_ethnicity", "Tolk", "Hej,\nfamiljen {ln} är romer och vill ha en tolk som talar romani "
             "till mötet om {child}.", [S]),
    Scenario("b2_skyddad_html", "Adressändring", "Hej!\nOBS: {fn} {ln} har skyddade personuppgifter. "
             "Post ska gå via Skatteverket.", [C], html=True),
]

BATCH2_NEGATIVES: list[Scenario] = [
    Scenario("b2_staff_news", "Nytt på förskolan", "Hej alla!\nVi välkomnar Anna Berg som ny specialpedagog "
             "och Per Lind som har börjat som skolsköterska. Lisa Ek går i pension efter 30 år. Tårta i "
             "personalrummet på fredag!", []),
    Scenario("b2_staff_xlsx", "Nyanställda april", "Hej lön, här är nyanställda i april.", [],
             attach=_staff_xlsx),
    Scenario("b2_ics_like", "Inbjudan: Elevhälsomöte", "När: tisdag 12 mars 13:00-14:00\nVar: Rum 204\n"
             "Dagordning: 1. Rutiner för elevhälsan 2. Planering av hälsosamtal 3. Övrigt", []),
    Scenario("b2_outofoffice", "Autosvar: Frånvaro", "Hej! Jag är sjukskriven och har begränsad tillgång "
             "till e-post. Vid brådskande ärenden kontakta växeln.", []),
    Scenario("b2_no_autosvar", "Fraværsmelding", "Hei! Jeg er sykmeldt og leser ikke e-post. Kontakt "
             "sentralbordet ved behov.", [], no=True),
    Scenario("b2_vaccination_info", "Vaccination åk 5", "Information till vårdnadshavare: Elevhälsan "
             "erbjuder vaccination mot HPV till alla elever i åk 5 den 14 mars. Samtyckesblankett bifogas i "
             "Skolplattformen.", []),
    Scenario("b2_budget_lss", "Budget LSS 2025", "LSS-verksamheten redovisar ett underskott på 4,2 mnkr, "
             "främst på grund av ökade kostnader för personlig assistans och korttidsboende.", []),
    Scenario("b2_politician_sick", "Ersättare i nämnden", "Hej! Ordinarie ledamot kan inte delta på "
             "mötet, ersättare kallas in. Handlingar finns i Netpublicator.", []),
    Scenario("b2_no_helsehus", "Åpning av helsehus", "Velkommen til åpning av det nye helsehuset med "
             "legevakt, fysioterapi og helsestasjon. Ordføreren holder tale kl. 12.", [], no=True),
    Scenario("b2_course_suicide", "Utbildning: Suicidprevention", "Välkommen till utbildningen Första "
             "hjälpen till psykisk hälsa. Du lär dig känna igen tecken på depression, ångest och "
             "suicidrisk. Anmäl dig senast 1 maj.", []),
    Scenario("b2_org_invoice_xlsx_like", "Betalningspåminnelse", "Påminnelse: faktura 80012345, OCR "
             "8001234567, förföll 2024-02-28. Org.nr 212000-0142. Bankgiro 5391-9101.", []),
    Scenario("b2_research", "Enkät om hälsa", "Hej!\nFolkhälsomyndigheten genomför en enkät om elevers "
             "hälsa, bland annat sömn, stress och alkohol. Resultaten redovisas på gruppnivå.", []),
]
