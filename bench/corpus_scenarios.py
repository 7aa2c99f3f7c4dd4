"""Scenarios of the evaluation corpus: stop-worthy municipal mail and hard negatives (Swedish, Norwegian).

Placeholders (``{fn} {ln} {child} {pnr} {pnr_kid} {fnr} {dnr} {samo} {born} {kommun} {sender}``…) are filled per
rendering by ``bench/corpus.py``. Categories are what a careful DPO would expect the gateway to report;
an empty list means the message must be delivered.

Security: synthetic data only (test identity numbers, invented names).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from corpus_files import html_table, make_csv, make_docx, make_pdf, make_xlsx

P, H, C, S = "personnummer", "health", "confidential", "special_category"
Att = Callable[[Any, dict[str, str]], list[tuple[str, bytes]]]


@dataclass
class Scenario:
    slug: str
    subject: str
    body: str
    categories: list[str]
    no: bool = False
    variants: int = 2
    html: bool = False
    attach: Att | None = None
    fill: Callable[[Any], dict[str, str]] | None = None
    html_extra: Callable[[Any, dict[str, str]], str] | None = None
    tags: list[str] = field(default_factory=list)


# --- attachment factories ---------------------------------------------------------------------------

def _pupils_xlsx(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    nums = f.pnr_list(8)
    rows: list[list[object]] = [["Namn", "Personnummer", "Klass", "Stöd"]]
    diag = ["ADHD", "dyslexi", "", "autism", "", "språkstörning", "", "diabetes typ 1"]
    for i, n in enumerate(nums):
        rows.append([f"Elev {chr(65 + i)}. {['Berg', 'Holm', 'Lind', 'Ek'][i % 4]}", int(n), "5B", diag[i]])
    return [("Elevlista_5B_stod.xlsx", make_xlsx(rows))]


def _pupils_xlsx_numbers_only(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    nums = f.pnr_list(6)
    rows: list[list[object]] = [["Efternamn", "Förnamn", "Pnr", "Buss"]]
    for i, n in enumerate(nums):
        rows.append([["Berg", "Holm", "Lind", "Ek", "Sjö", "Al"][i], ["Ella", "Ture", "Vide", "Ines", "Otto", "Mio"][i],
                     int(n[2:]), "Linje 4"])
    return [("skjutsberättigade.xlsx", make_xlsx(rows, "Skolskjuts"))]


def _class_csv(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    rows: list[list[object]] = [["Klass", "Efternamn", "Förnamn", "Personnummer", "Vårdnadshavare tel"]]
    for i, n in enumerate(f.pnr_list(10)):
        rows.append(["7A", f"Efternamn{i}", f"Förnamn{i}", f"{n[:8]}-{n[8:]}", f"070-{300 + i} 12 {10 + i}"])
    return [("klasslista_7A_lagerbo.csv", make_csv(rows))]


def _class_csv_bare(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    rows: list[list[object]] = [["namn", "pnr", "grupp"]]
    for i, n in enumerate(f.pnr_list(5)):
        rows.append([f"Deltagare {i + 1}", n[2:], "Sim"])
    return [("deltagare.csv", make_csv(rows, sep=";", encoding="utf-8"))]


def _no_xlsx(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    rows: list[list[object]] = [["Navn", "Fødselsnummer", "Klasse"]]
    for i, n in enumerate(f.fnr_list(6)):
        rows.append([f"Elev {i + 1}", int(n), "3B"])
    return [("elevliste_3B.xlsx", make_xlsx(rows, "Ark1"))]


def _no_csv(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    rows: list[list[object]] = [["Fnr", "Etternavn", "Fornavn", "Tiltak"]]
    for i, n in enumerate(f.fnr_list(5)):
        rows.append([n, f"Etternavn{i}", f"Fornavn{i}", "Arbeidstrening"])
    return [("deltakarar.csv", make_csv(rows, sep=";"))]


def _no_pdf_table(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    tbl = [["Navn", "Fnr", "Skole"]] + [[f"Barn {i + 1}", n, "Nordbyen skole"] for i, n in enumerate(f.fnr_list(4))]
    return [("skyssliste.pdf", make_pdf(["Skoleskyss høsten 2024"], table=tbl))]


def _pdf_table_se(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    tbl = [["Namn", "Personnummer", "Avdelning"]]
    tbl += [[f"Barn {i + 1}", f"{n[2:8]}-{n[8:]}", "Solrosen"] for i, n in enumerate(f.pnr_list(5))]
    return [("placeringar_hosten.pdf", make_pdf(["Förskoleplaceringar hösten 2024"], table=tbl))]


def _lakarintyg_pdf(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    lines = [f"Patientens namn: {v['fn']} {v['ln']}", f"Personnummer: {v['pnr12']}",
             "Diagnos/diagnoser som orsakar nedsatt arbetsförmåga: F32.1 Medelsvår depressiv episod",
             "Funktionsnedsättning: koncentrationssvårigheter, sömnstörning.",
             "Aktivitetsbegränsning: klarar inte heltidsarbete.",
             "Nuvarande behandling: Sertralin 50 mg, samtalsterapi.",
             "Sjukskrivningsgrad: 100 % from 2024-03-04 tom 2024-04-14", "Vårdcentralen Norra, leg. läkare"]
    return [(f"lakarintyg_{v['fn']}.pdf", make_pdf(lines, title="Läkarintyg för sjukpenning"))]


def _sol_docx(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    paras = ["# Utredning enligt 11 kap. 1 § SoL", f"Barn: {v['child']} {v['ln']}, född {v['born']}",
             "Vårdnadshavare: mamma och pappa, gemensam vårdnad.",
             "Bakgrund: Orosanmälan inkom från skolan den 12 februari avseende hög frånvaro och att barnet "
             "berättat om bråk i hemmet.",
             "Bedömning: Socialtjänsten bedömer att barnet är i behov av stöd i form av kontaktfamilj.",
             "Handläggare: socialsekreterare, Barn och familj"]
    return [(f"Utredning_{v['child']}.docx",
             make_docx(paras, header="SEKRETESS enligt 26 kap. 1 § OSL"))]


def _genomforande_pdf(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    lines = [f"Brukare: {v['fn']} {v['ln']}", f"Personnummer: {v['pnr']}",
             "Insats: hemtjänst, 3 besök/dag, tillsyn nattetid.",
             "Hälsa: Alzheimers sjukdom, diabetes typ 2, nedsatt syn. Insulin ges av distriktssköterska.",
             "Önskemål: duscha på tisdagar, kvinnlig personal."]
    return [("genomforandeplan.pdf", make_pdf(lines, title="Genomförandeplan hemtjänst"))]


def _rehab_docx(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    paras = ["# Rehabiliteringsplan", f"Medarbetare: {v['fn']} {v['ln']}", "Förvaltning: Vård och omsorg",
             "Orsak till sjukfrånvaron: utmattningssyndrom, sömnproblem.",
             "Åtgärder: arbetsträning 25 % under fyra veckor, kontakt med företagshälsovården, KBT.",
             "Uppföljning: avstämningsmöte med Försäkringskassan v.16."]
    return [("rehabplan.docx", make_docx(paras))]


def _allergy_xlsx(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    rows: list[list[object]] = [["Barn", "Avdelning", "Kost / allergi", "Åtgärd"],
                                [f"{v['fn']} {v['ln']}", "Ekorren", "Jordnötsallergi, anafylaxi", "EpiPen i köket"],
                                [f"{v['fn2']} {v['ln2']}", "Ekorren", "Celiaki", "Glutenfri kost"],
                                [f"{v['fn3']} {v['ln3']}", "Räven", "Komjölksproteinallergi", "Mjölkfritt"]]
    return [("specialkost_ht24.xlsx", make_xlsx(rows))]


def _ocr_invoice_pdf(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    lines = ["Faktura nr 2024-1187", "Fakturadatum 2024-03-04  Förfallodatum 2024-04-03",
             "Org.nr 556677-8899  Momsreg.nr SE556677889901", "Bankgiro 5050-1055",
             "OCR-nummer: 4578123456789 0", "Att betala: 12 450,00 SEK"]
    tbl = [["Artikel", "Antal", "Pris"], ["Kopieringspapper A4", "40", "2 400"], ["Toner HP 26X", "6", "8 100"]]
    return [("Faktura_20241187.pdf", make_pdf(lines, table=tbl))]


def _supplier_xlsx(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    rows: list[list[object]] = [["Leverantör", "Org.nr", "Bankgiro", "Kontakt"],
                                ["Städbolaget AB", "556123-4567", "123-4567", "08-123 45 67"],
                                ["Byggservice i Norr AB", "556987-6543", "5432-1098", "070-765 43 21"],
                                ["Kommunalförbundet", "222000-1362", "987-6543", "0771-12 34 56"]]
    return [("leverantorer_2024.xlsx", make_xlsx(rows))]


def _phone_csv(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    rows: list[list[object]] = [["Namn", "Funktion", "Telefon", "Mobil"]]
    for i, (n, t) in enumerate([("Anna Berg", "Rektor"), ("Per Lind", "Skolsköterska"), ("Eva Ek", "Kurator"),
                                ("Jonas Holm", "Vaktmästare")]):
        rows.append([n, t, f"0{46 + i}-35 {40 + i} {10 + i}", f"07{i}-{200 + i} {30 + i} {40 + i}"])
    return [("telefonlista.csv", make_csv(rows))]


def _policy_docx(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    paras = ["# Riktlinje för hantering av allmänna handlingar och sekretess",
             "Alla handlingar som inkommer till kommunen ska registreras utan dröjsmål.",
             "Inom socialtjänsten gäller sekretess enligt 26 kap. 1 § OSL för uppgift om enskilds personliga "
             "förhållanden, om det inte står klart att uppgiften kan röjas utan att den enskilde lider men.",
             "Inom elevhälsan gäller sekretess enligt 23 kap. 2 § OSL.",
             "Känsliga personuppgifter får inte skickas med okrypterad e-post.",
             "Fastställd av kommunstyrelsen 2023-11-14, dnr KS 2023/412."]
    return [("Riktlinje_sekretess.docx", make_docx(paras))]


def _menu_pdf(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    lines = ["Måndag: Köttbullar med potatismos och lingon", "Tisdag: Fiskgratäng (laktosfri finns)",
             "Onsdag: Vegetarisk lasagne", "Torsdag: Ärtsoppa och pannkakor", "Fredag: Tacobuffé",
             "Specialkost beställs via blanketten på intranätet. Glutenfri och mjölkproteinfri kost finns."]
    return [("matsedel_v12.pdf", make_pdf(lines, title="Matsedel vecka 12"))]


def _protocol_docx(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    paras = ["# Protokoll arbetsplatsträff 2024-03-12", "Närvarande: Anna, Per, Eva, Jonas, Lisa",
             "1. Föregående protokoll godkändes.", "2. Ekonomi: prognosen visar ett litet överskott.",
             "3. Arbetsmiljö: skyddsronden genomförs v. 14. Ny rutin för sjukanmälan via Heroma presenterades.",
             "4. Övrigt: personalfesten 24 maj."]
    return [("APT_protokoll_20240312.docx", make_docx(paras))]


def _no_vedtak_pdf(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    lines = ["Unntatt offentlighet, jf. offentleglova § 13, jf. forvaltningsloven § 13",
             f"Vedtak om avlastning for {v['child']} {v['ln']}, f. {v['born']}",
             "Barnet har diagnosen autismespekterforstyrrelse og epilepsi og har behov for tett oppfølging.",
             "Kommunen innvilger avlastning i institusjon to helger i måneden."]
    return [("vedtak_avlastning.pdf", make_pdf(lines, title="Vedtak"))]


def _no_ikt_docx(f: Any, v: dict[str, str]) -> list[tuple[str, bytes]]:
    paras = ["# Invitasjon: Kurs i taushetsplikt og personvern", "For alle nyansatte i helse og omsorg.",
             "Tema: Hva er taushetsplikt etter forvaltningsloven § 13? Når kan opplysninger deles?",
             "Sted: Rådhuset, møterom 3. Påmelding innen 1. april."]
    return [("kursinvitasjon.docx", make_docx(paras))]


def _html_pupils(f: Any, v: dict[str, str]) -> str:
    rows: list[list[object]] = [["Namn", "Personnummer", "Grupp"]]
    for i, n in enumerate(f.pnr_list(4)):
        rows.append([f"Barn {i + 1}", n, "Fjärilen"])
    return html_table(rows)


def _html_no_pupils(f: Any, v: dict[str, str]) -> str:
    rows: list[list[object]] = [["Navn", "Fødselsnr.", "Trinn"]]
    for i, n in enumerate(f.fnr_list(4)):
        rows.append([f"Elev {i + 1}", n, "5. trinn"])
    return html_table(rows)


def _html_phone(f: Any, v: dict[str, str]) -> str:
    rows: list[list[object]] = [["Funktion", "Telefon"], ["Växel", "0771-25 25 25"], ["Kundtjänst", "046-35 50 00"],
                                ["Jour", "070-123 45 67"]]
    return html_table(rows)


# --- stop-worthy messages ---------------------------------------------------------------------------

POSITIVES: list[Scenario] = [
    # skola / elevhälsa
    Scenario("parent_epilepsy", "{child} och medicin",
             "Hej!\nVill bara meddela att min dotter {child} har epilepsi och att hon har fått ny medicin sedan i "
             "fredags. Om hon får ett anfall i skolan ska ni ringa mig direkt, hon brukar bli trött efteråt.\n"
             "Hon har sin akutmedicin i ryggsäcken (Buccolam).", [H]),
    Scenario("teacher_dyslexia", "Olle 4B",
             "Hej Lena,\nOlle i 4B har fått diagnosen dyslexi, utredningen från logopeden kom igår. Kan vi boka "
             "ett möte om anpassningar inför NP? Pappa vill gärna vara med.", [H]),
    Scenario("ehm_bup_referral", "EHT torsdag – {fn} {ln}",
             "Till EHT:\n{fn} {ln} 9C ({pnr_kid}) – remiss till BUP skickad i fredags, misstänkt ADHD + ångest. "
             "Kuratorn har samtal 1 ggr/v. Mamma informerad.", [P, H]),
    Scenario("nurse_diabetes", "Ang {fn} i 2A",
             "Hej alla i arbetslaget!\n{fn} {ln} i 2A har diabetes typ 1 och har insulinpump. Hon behöver kolla "
             "blodsockret innan lunch och ibland på rasten. Vid lågt blodsocker: ge druvsocker. Ring mig om ni "
             "är osäkra.\n/skolsköterskan", [H]),
    Scenario("mentor_depression", "frånvaro {fn}",
             "hej, {fn} {ln} har varit hemma sen v.12, mamma ringde och sa att han är sjukskriven för depression "
             "och går på samtal på BUP. vi får lägga upp en plan när han kommer tillbaka", [H]),
    Scenario("pupil_support_xlsx", "Elever i behov av stöd 5B",
             "Hej! Här kommer listan på eleverna i 5B med stödbehov inför överlämningen till mellanstadiet. "
             "Se bifogad fil.", [P, H], attach=_pupils_xlsx),
    Scenario("class_csv_trip", "Klasslista inför lägerskolan",
             "Hej,\nbifogar klasslistan för 7A till vandrarhemmet så att de kan göra bokningen. Ni behöver "
             "personnumren för försäkringen.", [P], attach=_class_csv),
    Scenario("school_bus_xlsx", "Skolskjuts ht-24",
             "Hej Taxibolaget,\nhär är listan över skjutsberättigade elever från och med 19/8.", [P],
             attach=_pupils_xlsx_numbers_only),
    Scenario("allergy_list", "Specialkost förskolan",
             "Hej köket!\nHär kommer specialkostlistan för hösten. OBS att {fn} på Ekorren har svår "
             "jordnötsallergi och har en adrenalinpenna.", [H], attach=_allergy_xlsx),
    Scenario("kurator_selfharm", "Angående elev",
             "Hej\nJag har haft samtal med {fn} {ln} (åk 8) idag. Hon berättar att hon skadar sig själv och har "
             "självmordstankar. Jag har kontaktat vårdnadshavare och hon får en akut tid på BUP imorgon.\n"
             "Kurator", [H]),
    Scenario("teacher_forward_parent", "VB: {child} idag",
             "Till skolsköterskan för kännedom.\n\n---------- Vidarebefordrat meddelande ----------\n"
             "Från: {sender}\nÄmne: {child} idag\n\nHej, {child} har astma och har glömt sin inhalator hemma. "
             "Hon har också fått antibiotika för lunginflammation så hon ska vara inne på rasterna.\nMvh mamma",
             [H]),
    Scenario("autism_pupil_plan", "Anpassningar för {fn}",
             "Hej!\nSom vi pratade om: {fn} {ln} har en autismdiagnos sedan förra året och blir lätt överstimulerad "
             "i matsalen. Han får äta i ett eget rum med en vuxen.", [H]),
    Scenario("adhd_medication", "medicinering",
             "Hej, {fn} börjar med Concerta 18 mg från måndag. Han tar den hemma på morgonen men kan bli lite "
             "trött och hängig de första veckorna. Säg till om ni märker något. /{fn2}, pappa", [H]),
    # socialtjänst
    Scenario("orosanmalan", "Orosanmälan",
             "Orosanmälan enligt 14 kap. 1 § SoL\n\nBarn: {child} {ln}, {pnr_kid}\nSkola: Lindens skola åk 3\n\n"
             "Barnet har vid flera tillfällen kommit till skolan hungrig och berättar att pappa "
             "\"dricker mycket\" och att hon är rädd. Vi är oroliga för att pappan har ett alkoholmissbruk.", [P, H, S]),
    Scenario("lss_decision", "Beslut LSS",
             "Hej,\nnu är beslutet klart: {fn} {ln} beviljas korttidsvistelse enligt 9 § 6 LSS fyra dygn/månad. "
             "Hon har en måttlig intellektuell funktionsnedsättning och epilepsi. Vi behöver en kontaktperson "
             "från er verksamhet.", [H]),
    Scenario("fs_lakarintyg", "Komplettering försörjningsstöd",
             "Klienten {fn} {ln} {pnr} har inkommit med läkarintyg, sjukskriven 100 % t.o.m. 30/6. Hen står "
             "därmed inte till arbetsmarknadens förfogande. Kan du lägga in det i journalen?", [P, H]),
    Scenario("lvu_application", "Ansökan LVU",
             "SEKRETESS enligt 26 kap. 1 § OSL\n\nBifogar ansökan om vård enligt 2 § LVU avseende {child} {ln}, "
             "född {born}, till förvaltningsrätten. Modern har en psykisk sjukdom och har vårdats enligt LPT.",
             [H, C]),
    Scenario("addiction_client", "Beroendemottagningen",
             "Hej!\nBrukaren {fn} {ln} har ett långvarigt missbruk av bensodiazepiner och alkohol. Hon har haft "
             "återfall i helgen och vi behöver en tid för abstinensbehandling snarast. Hon har godkänt att vi "
             "kontaktar er.", [H]),
    Scenario("sol_docx", "Utredning",
             "Hej,\nse bifogad utredning inför mötet på tisdag. Ring om något är oklart.", [C, S],
             attach=_sol_docx),
    Scenario("protected_identity", "Viktigt - skolplacering",
             "OBS!! {fn} {ln} och barnen har skyddad identitet (sekretessmarkering). Skicka INTE adressen eller "
             "skolans namn till pappan eller någon annan. Kontakta mig innan ni lämnar ut något.", [C]),
    Scenario("kvarskriven", "Ny elev",
             "Hej rektor,\nFamiljen {ln} är kvarskrivna i {kommun} och får inte röjas. Barnen börjar hos er på "
             "måndag. Adress till familjen finns hos oss, skriv inte in den i Skolplattformen.", [C]),
    Scenario("fs_special_religion", "Hembesök",
             "Anteckning hembesök: familjen {ln} är nyanlända, pappan {fn} är kristen konvertit och "
             "uppger att han förföljts i hemlandet på grund av sin religion. Mamman är analfabet.", [S]),
    Scenario("economic_aid_medicine", "Läkemedelskostnader",
             "Hej!\n{fn} {ln} söker bistånd för läkemedel. Hon har Metformin, Atorvastatin och Sertralin enligt "
             "receptet och kostnaden är över högkostnadsskyddet. Handläggare tar beslut på fredag.", [H]),
    Scenario("ensamkommande", "Placering HVB",
             "Hej,\nvi har en pojke, {fn}, 16 år från Afghanistan som behöver placering. Han har PTSD och "
             "sömnproblem efter flykten och tar Melatonin. Han är hazar och shiamuslim, det är viktigt att han "
             "inte placeras med vissa andra grupper.", [H, S]),
    Scenario("offence_youth", "Samverkan SSPF",
             "Inför SSPF-mötet: {fn} {ln} ({pnr_kid}) är misstänkt för rån och misshandel i centrum förra helgen. "
             "Polisanmälan är gjord och han har också åtalats för ett tidigare snatteri.", [P, S]),
    Scenario("criminal_record", "Utdrag belastningsregister",
             "Hej HR,\nutdraget ur belastningsregistret för {fn} {ln} visar att han är dömd för olaga hot 2019. "
             "Vi kan därför inte gå vidare med anställningen på fritids.", [S]),
    Scenario("orientation", "Samtal",
             "Hej,\nEleven {fn} har berättat för mig att hon är lesbisk och är rädd för hur familjen ska "
             "reagera. Hon vill inte att mentorn ska veta. Vi har uppföljande samtal nästa vecka.", [S]),
    # äldreomsorg / hemtjänst
    Scenario("medlist_elder", "Läkemedelslista",
             "Läkemedelslista för {fn} {ln}, {pnr}:\n- Metformin 500 mg 1x2\n- Waran enl. ordination\n"
             "- Sertralin 50 mg 1x1\n- Oxascand 5 mg vb\nDelas av hemtjänsten morgon och kväll.", [P, H]),
    Scenario("fall_hemtjanst", "Händelse i natt",
             "Hej!\n{fn} på Björkvägen 12 föll i natt, misstänkt höftfraktur, ambulans till akuten kl 03. "
             "Hon har demens och var väldigt orolig. Anhöriga är informerade.\n/Nattpatrullen", [H]),
    Scenario("genomforandeplan", "Genomförandeplan",
             "Hej, här kommer den uppdaterade genomförandeplanen. Skicka tillbaka underskriven.", [P, H],
             attach=_genomforande_pdf),
    Scenario("dementia_placement", "Ansökan särskilt boende",
             "Hej,\n{fn} {ln} (f. {pnr}) har ansökt om särskilt boende. Han har vaskulär demens, Parkinsons "
             "sjukdom och är inkontinent. Hustrun orkar inte längre.", [P, H]),
    Scenario("palliative", "Brukare i livets slutskede",
             "Hej teamet,\n{fn} {ln} på avd 2 är nu i palliativt skede, cancer med spridning till skelettet. "
             "Morfin ges via pump. Anhöriga vill bli ringda dygnet runt.", [H]),
    # HR
    Scenario("self_sick", "Sjuk",
             "Hej,\nJag är sjukskriven resten av veckan, fick läkarintyg idag pga en njurstensattack. "
             "Jag har lagt in det i Heroma.\n/{fn}", [H]),
    Scenario("hr_burnout", "Sjukskrivning {fn} {ln}",
             "Hej HR,\n{fn} {ln} har lämnat in ett läkarintyg, sjukskriven 50 % pga utmattningssyndrom från och "
             "med måndag. Vi behöver starta en rehabiliteringsutredning. Hur går vi vidare?", [H]),
    Scenario("rehab_docx", "Rehabplan",
             "Hej, bifogar rehabiliteringsplanen inför avstämningsmötet.", [H], attach=_rehab_docx),
    Scenario("union_member", "Lönesamtal",
             "Hej,\n{fn} {ln} är medlem i Kommunal och vill ha med sin fackliga företrädare på lönesamtalet "
             "nästa vecka. Kan vi flytta till torsdag?", [S]),
    Scenario("staff_record_pnr", "Anställningsavtal",
             "Hej,\nNyanställd: {fn} {ln}, {pnr12}, undersköterska på Lärkans vård- och omsorgsboende från "
             "1 april. Kan ni lägga upp hen i lönesystemet?", [P]),
    Scenario("pregnancy", "Föräldraledighet",
             "Hej chefen, ville berätta att jag är gravid i v.14 och har haft mycket illamående, "
             "barnmorskan har gett mig Postafen. Det är bara du som vet än så länge. /{fn}", [H]),
    Scenario("alcohol_employee", "Samtal med medarbetare",
             "Hej HR!\nVi hade samtal med {fn} {ln} idag efter att hen luktat alkohol på jobbet två gånger. "
             "Hen erkände ett alkoholproblem och har gått med på att kontakta företagshälsovården för "
             "behandling.", [H]),
    # överförmyndare
    Scenario("godman", "Godmansärende",
             "Ärende: anordnande av godmanskap för {fn} {ln} ({pnr}). Huvudmannen har demens och bor sedan i "
             "höstas på särskilt boende. Läkarintyg bifogas i separat brev.", [P, H]),
    Scenario("arsrakning", "Årsräkning 2023",
             "Hej!\nHär kommer årsräkningen för min huvudman {fn} {ln}, personnummer {pnr}. Kontoutdrag från "
             "Swedbank finns med.", [P]),
    # bygglov
    Scenario("bygglov_pnr", "Ansökan bygglov Lunden 4:12",
             "Sökande: {fn} {ln}\nPersonnummer: {pnr}\nFastighet: Lunden 4:12\nÅtgärd: tillbyggnad "
             "enbostadshus 25 kvm\nBifogar ritningar i separat mejl.", [P]),
    Scenario("bygglov_disability", "Ramp",
             "Hej,\nvi söker bygglov för en ramp på framsidan eftersom vår son {child} har CP och använder "
             "rullstol sedan operationen. Har ni möjlighet att handlägga ärendet snabbt?", [H]),
    Scenario("samordningsnummer", "Ny kund",
             "Hej!\nKunden saknar personnummer men har samordningsnummer {samo}. Kan ni lägga upp honom "
             "ändå?", [P]),
    # attachments with identity numbers
    Scenario("lakarintyg_pdf", "Läkarintyg",
             "Hej, här kommer läkarintyget som Försäkringskassan bad om. /{fn}", [P, H], attach=_lakarintyg_pdf),
    Scenario("html_table_pnr", "Barngrupp Fjärilen",
             "Hej!\nHär är barnen som ska vara med på utflykten på fredag:", [P], html=True,
             html_extra=_html_pupils),
    Scenario("pdf_table_pnr", "Placeringar förskola",
             "Hej,\nbifogar placeringslistan inför hösten.", [P], attach=_pdf_table_se),
    Scenario("csv_bare_pnr", "Simskola",
             "Deltagarlista simskolan bifogas.", [P], attach=_class_csv_bare),
    Scenario("pnr_inline_plain", "fråga om elev",
             "Hej, kan ni kolla vilken skola eleven med pnr {pnr_kid} är inskriven på? Hen har flyttat hit från "
             "Göteborg.", [P]),
    Scenario("pnr_bare_12", "Kontroll",
             "Hej\nkan du slå upp {pnr_bare} i Procapita, det gäller faderskapsärendet", [P]),
    Scenario("sekretess_case", "Ärende 2024/117",
             "Omfattas av sekretess enligt 26 kap. 1 § offentlighets- och sekretesslagen.\n\nHej,\nenligt "
             "överenskommelse skickar jag sammanfattningen av utredningen rörande familjen {ln}. Barnen bor "
             "växelvis hos föräldrarna och det förekommer konflikter.", [C]),
    Scenario("tystnadsplikt_msg", "Info om elev",
             "Hej,\ndetta omfattas av tystnadsplikt: {fn} {ln} i 6C bor just nu i ett familjehem via "
             "socialtjänsten. Vårdnadshavarna får inte hämta henne.", [C]),
    # Norwegian
    Scenario("nav_sykmelding", "Sykmelding bruker",
             "Hei,\nBruker {fn} {ln}, fnr {fnr}, har levert sykmelding fra fastlegen. Diagnose: depresjon og "
             "angst. Vi vurderer arbeidsavklaringspenger.", [P, H], no=True),
    Scenario("barnevern_bekymring", "Bekymringsmelding",
             "Unntatt offentlighet, jf. offl. § 13\n\nBekymringsmelding til barneverntjenesten om {child} "
             "{ln} (f. {born}). Mor har rusproblemer og barnet har flere ganger kommet til barnehagen uten mat "
             "og med blåmerker.", [H, C, S], no=True),
    Scenario("helsestasjon_celiac", "Oppfølging helsestasjon",
             "Hei!\n{child} har fått påvist cøliaki på blodprøven, og foreldrene lurer på om barnehagen kan "
             "lage glutenfri mat. Hun har også astma og bruker Ventoline ved behov.", [H], no=True),
    Scenario("skole_adhd_no", "Elev i 6B",
             "Hei,\neleven {fn} {ln} i 6B har fått diagnosen ADHD og har begynt med Ritalin. Foreldrene ønsker "
             "et møte om tilrettelegging. Helsesykepleier er informert.", [H], no=True),
    Scenario("nynorsk_autism", "Om eleven",
             "Hei,\neleven {fn} har fått diagnosen autisme, og mor ynskjer at skulen tek omsyn til dette. "
             "Opplysningane er underlagde teieplikt og unnateke frå innsyn.", [H, C], no=True),
    Scenario("no_xlsx_fnr", "Elevliste 3B",
             "Hei, her er elevlista for 3B til skoleskyss.", [P], no=True, attach=_no_xlsx),
    Scenario("no_csv_fnr", "Deltakarar på tiltak",
             "Hei NAV,\nher er deltakarlista med fødselsnummer.", [P], no=True, attach=_no_csv),
    Scenario("no_pdf_fnr", "Skyss", "Hei, vedlagt skyssliste.", [P], no=True, attach=_no_pdf_table),
    Scenario("no_html_fnr", "Liste 5. trinn", "Hei!\nHer er lista:", [P], no=True, html=True,
             html_extra=_html_no_pupils),
    Scenario("no_dnummer", "Ny søker", "Hei,\nsøkeren har ikke fødselsnummer ennå, bare D-nummer {dnr}. "
             "Kan dere registrere likevel?", [P], no=True),
    Scenario("no_fnr_spaced", "Registrering", "Fødselsnummer: {fnr_sp}\nNavn: {fn} {ln}\nAdresse: "
             "Storgata 4", [P], no=True),
    Scenario("no_strengt_fortrolig", "Ny elev", "Hei rektor,\nfamilien {ln} har strengt fortrolig adresse "
             "(kode 6). Adressen skal ikke registreres i Visma eller gis ut til noen.", [C], no=True),
    Scenario("no_union", "Lønnsforhandling", "Hei,\n{fn} {ln} er medlem av Fagforbundet og ønsker "
             "tillitsvalgt med i samtalen.", [S], no=True),
    Scenario("no_offence", "Politiattest", "Hei,\npolitiattesten for {fn} {ln} viser at han er dømt for "
             "vold mot tidligere samboer. Han kan ikke ansettes i barnehagen.", [S], no=True),
    Scenario("no_vedtak_pdf", "Vedtak avlastning", "Hei, vedlagt vedtak.", [H, C], no=True,
             attach=_no_vedtak_pdf),
    Scenario("no_hjemmetjeneste", "Medisiner", "Hei,\n{fn} {ln} skal ha Paracet 1 g x 3, Albyl-E og "
             "Metformin. Han har KOLS og hjertesvikt. Dosett fylles av sykepleier fredag.", [H], no=True),
    Scenario("no_nav_rus", "Samarbeid", "Hei,\nbrukeren {fn} {ln} er i LAR-behandling (Subutex) og har "
             "hatt et tilbakefall. Han har samtykket til at vi deler dette med dere.", [H], no=True),
]

# --- hard negatives ---------------------------------------------------------------------------------

NEGATIVES: list[Scenario] = [
    Scenario("newsletter_wellness", "Nyhetsbrev mars: sömn och stress",
             "Nyhetsbrev från Friskvården\n\nVeckans tema: sömn. Visste du att var tredje svensk sover dåligt? "
             "Här är fem tips för bättre sömn och mindre stress. Boka gärna friskvårdstimme via intranätet.", [],
             html=True),
    Scenario("flu_campaign", "Influensavaccination 2024",
             "Nu startar årets influensavaccination för dig som är 65 år eller äldre, gravid eller har en "
             "kronisk sjukdom som diabetes, astma eller hjärtsjukdom. Vaccinationen är gratis på "
             "vårdcentralerna från 1 november.", []),
    Scenario("staff_mental_health_talk", "Föreläsning: Psykisk hälsa på jobbet",
             "Välkommen till en föreläsning om psykisk ohälsa, utmattningssyndrom och hur vi kan förebygga "
             "stress på arbetsplatsen. Föreläsare är en psykolog från företagshälsovården. 14 maj kl 13-15, "
             "Stadshuset. Anmälan via länk.", []),
    Scenario("job_ad_nurse", "Vi söker skolsköterska",
             "Lediga jobb: Skolsköterska till elevhälsan, Centralskolan\nDu kommer att arbeta med "
             "hälsobesök, vaccinationer och ge stöd till elever med diabetes, allergier och ADHD. "
             "Legitimerad sjuksköterska med specialistutbildning. Sista ansökningsdag 30 april.", []),
    Scenario("policy_sekretess_docx", "Ny riktlinje sekretess",
             "Hej alla,\nbifogar den nya riktlinjen om sekretess och hantering av allmänna handlingar. Läs den "
             "inför APT.", [], attach=_policy_docx),
    Scenario("course_lss", "Inbjudan: utbildning LSS-handläggning",
             "Välkommen till utbildning i handläggning enligt LSS och SoL för nya handläggare. Vi går "
             "igenom insatser, utredning och dokumentation. 12 mars 9-16, Folkets hus.", []),
    Scenario("apt_notes", "Protokoll APT", "Hej, här kommer protokollet från APT. /{fn}", [],
             attach=_protocol_docx),
    Scenario("invoice_ocr", "Faktura 2024-1187",
             "Hej!\nBifogar faktura för mars. OCR: 4578123456789 0, bankgiro 5050-1055.\nVänligen betala "
             "senast 2024-04-03.\nOrg.nr 556677-8899", [], attach=_ocr_invoice_pdf),
    Scenario("supplier_list", "Leverantörsregister", "Hej, uppdaterat leverantörsregister bifogas.", [],
             attach=_supplier_xlsx),
    Scenario("phone_list", "Telefonlista elevhälsan", "Hej! Här är den nya telefonlistan.", [],
             attach=_phone_csv),
    Scenario("phone_html", "Kontaktuppgifter", "Hej,\nhär är våra nummer:", [], html=True,
             html_extra=_html_phone),
    Scenario("lunch_menu", "Matsedel v.12", "Hej! Matsedeln för nästa vecka bifogas. Smaklig måltid!", [],
             attach=_menu_pdf),
    Scenario("politician_budget", "Pressmeddelande: budget 2025",
             "Kommunstyrelsens ordförande Anna Lindberg (S) och oppositionsrådet Per Holm (M) presenterade "
             "idag budgeten. \"Vi satsar 40 miljoner på äldreomsorgen och elevhälsan\", säger Anna Lindberg. "
             "Sverigedemokraterna reserverade sig.", []),
    Scenario("statute_quote", "Fråga om utlämnande",
             "Hej,\nenligt 26 kap. 1 § OSL gäller sekretess inom socialtjänsten för uppgift om enskilds "
             "personliga förhållanden, om det inte står klart att uppgiften kan röjas utan att den enskilde "
             "eller någon närstående till denne lider men. Vi kan därför inte lämna ut handlingarna utan en "
             "menprövning. Du kan begära ett överklagbart beslut.", []),
    Scenario("remiss_planning", "Remiss: förslag till ny översiktsplan",
             "Hej!\nKommunstyrelsen skickar härmed förslaget till ny översiktsplan på remiss. Yttrande ska ha "
             "kommit in senast 15 maj. Remissvar skickas till kommunstyrelsen, dnr KS 2024/88.", []),
    Scenario("stats_report", "Årsrapport socialtjänsten",
             "Antalet orosanmälningar ökade med 12 % under 2023, till 1 432 stycken. Andelen placerade barn "
             "minskade något. Försörjningsstödet ökade till 98 miljoner kronor. Rapporten presenteras i "
             "socialnämnden 18 april.", []),
    Scenario("friskvardsbidrag", "Friskvårdsbidrag 2024",
             "Hej alla medarbetare!\nFriskvårdsbidraget höjs till 3 000 kr per år. Kvitton för gym, simhall och "
             "massage lämnas i Heroma senast 15 december.", []),
    Scenario("adhd_seminar", "Seminarium NPF i klassrummet",
             "Välkommen till ett seminarium om att möta elever med NPF, som ADHD och autism, i klassrummet. "
             "Specialpedagoger delar erfarenheter av anpassningar och ledarskap. Anmälan senast 3 april.", []),
    Scenario("sick_routine", "Ny rutin för sjukanmälan",
             "Från 1 april sjukanmäler du dig via appen i Heroma senast kl 07.00. Från dag 8 krävs läkarintyg. "
             "Vid frågor kontakta din chef eller HR.", []),
    Scenario("hlr_course", "HLR-utbildning", "Hej!\nNu är det dags för årlig HLR-utbildning med hjärtstartare "
             "för all personal på förskolan. Torsdag 8 feb kl 15-17. Obligatoriskt.", []),
    Scenario("gruppbostad_meeting", "Personalmöte gruppbostaden",
             "Hej!\nPersonalmöte på Solvändan onsdag kl 14. Punkter: schemat för sommaren, ny leasingbil, "
             "städrutiner i köket och planering av grillkvällen.", []),
    Scenario("religion_lesson", "Lektionsplanering religion åk 7",
             "Hej kollegor,\nhär är planeringen för religionskunskap: v.10 islam, v.11 kristendom, v.12 judendom, "
             "v.13 buddhism. Studiebesök i moskén och kyrkan är bokade.", []),
    Scenario("union_info", "Information från Kommunal",
             "Hej!\nKommunal och Vision bjuder in till medlemsmöte om lönerevisionen 2024. Fika serveras. "
             "Alla medlemmar är välkomna.", []),
    Scenario("police_report_routine", "Rutin vid inbrott",
             "Vid inbrott eller skadegörelse på skolan: gör en polisanmälan via polisen.se, kontakta "
             "säkerhetssamordnaren och dokumentera med foto.", []),
    Scenario("bygglov_decision", "Beslut om bygglov",
             "Beslut om bygglov för nybyggnad av garage på fastigheten Eken 3:4, dnr BN 2024-000123. "
             "Beslutet har fattats på delegation. Avgift 8 540 kr enligt taxa. Startbesked krävs.", []),
    Scenario("meeting_timestamp", "Mötesbokning",
             "Hej, mötet är flyttat till 20240315-1400. Ordernummer 9712031234 gäller för lokalbokningen. "
             "Ring 0701234567 vid frågor.", []),
    Scenario("semester_request", "Semester", "Hej! Jag vill ansöka om semester v. 28–31. Okej? /{fn}", []),
    Scenario("thanks", "Tack", "Tack för en bra dag igår! Vi ses nästa vecka. /{fn}", []),
    Scenario("elevhalsa_annual", "Elevhälsans årsrapport",
             "Elevhälsan har under läsåret genomfört 412 hälsosamtal. 45 elever har fått stöd av kurator och "
             "skolpsykologen har gjort 12 utredningar. Vaccinationstäckningen för HPV var 89 %.", []),
    Scenario("public_health_smoking", "Kampanj: Tobaksfri duo",
             "Folkhälsorådet startar kampanjen Tobaksfri duo för elever i åk 6. Syftet är att förebygga "
             "rökning och snusning. Material skickas till skolorna i april.", []),
    Scenario("journalist_request", "Fråga från journalist",
             "Hej, en journalist från Sydsvenskan frågar om kostnaderna för sjukhusparkeringen och "
             "skolskjutsen. Kan du svara senast i morgon?", []),
    Scenario("hemtjanst_anniversary", "Hemtjänsten 20 år!",
             "Välkomna på tårta! Hemtjänsten i Norra området firar 20 år på fredag kl 14 i samlingssalen.", []),
    Scenario("gdpr_course", "Utbildning GDPR och känsliga personuppgifter",
             "Inbjudan till utbildning: Vad är känsliga personuppgifter enligt artikel 9 GDPR, t.ex. hälsa, "
             "etniskt ursprung och fackligt medlemskap? Vi går igenom hur du hanterar dem och när du får "
             "skicka e-post.", []),
    Scenario("disclaimer_plain", "Lokalbokning",
             "Hej!\nJag har bokat aulan den 12 april kl 18 för föräldramötet. Nyckel hämtas i receptionen.", []),
    Scenario("vaccin_tick", "Fästingvaccin för personal",
             "Personal i utomhusverksamhet erbjuds TBE-vaccin via företagshälsovården. Anmäl intresse till "
             "din chef senast 1 mars.", []),
    Scenario("sjukhus_visit", "Studiebesök",
             "Hej!\nKlass 9B gör studiebesök på sjukhuset och ambulansstationen den 3 maj i samband med "
             "PRAO-veckan. Bussen går kl 8.15.", []),
    Scenario("social_nämnd_agenda", "Kallelse socialnämnden",
             "Kallelse till socialnämndens sammanträde 18 april kl 13. Ärenden: 1. Budgetuppföljning. "
             "2. Riktlinjer för ekonomiskt bistånd. 3. Individärenden (behandlas inom stängda dörrar, "
             "handlingar delas ut på mötet).", []),
    Scenario("recipe_allergy_info", "Allergirutiner förskolan",
             "Påminnelse: alla förskolor ska ha en aktuell rutin för allergier och specialkost. Blanketten för "
             "specialkost finns på intranätet och ska förnyas varje år.", []),
    # Norwegian negatives
    Scenario("no_newsletter_vaccine", "Nytt fra helsestasjonen",
             "Nyhetsbrev: Barnevaksinasjonsprogrammet utvides med vaksine mot rotavirus. Helsestasjonen har "
             "åpen drop-in hver tirsdag. Husk også influensavaksine for risikogrupper.", [], no=True),
    Scenario("no_job_ad", "Stillingsannonse: sykepleier",
             "Bergen kommune søker sykepleier til hjemmetjenesten. Du vil jobbe med pasienter med diabetes, "
             "demens og KOLS. Søknadsfrist 15. april.", [], no=True),
    Scenario("no_meeting", "Møteinnkalling", "Hei!\nMøte i arbeidsmiljøutvalget torsdag kl. 10. Saker: "
             "sykefraværsstatistikk for 2023, HMS-runde og budsjett.", [], no=True),
    Scenario("no_invoice_kid", "Faktura", "Hei,\nvedlagt faktura. KID-nummer 123456789012347, kontonummer "
             "1503.12.34567. Org.nr. 974 600 951. Forfall 1. april.", [], no=True),
    Scenario("no_course_taushet", "Kurs i taushetsplikt", "Hei alle nyansatte,\nvelkommen til kurs.", [],
             no=True, attach=_no_ikt_docx),
    Scenario("no_barnevern_info", "Nye rutiner", "Barneverntjenesten informerer om nye rutiner for "
             "bekymringsmeldinger fra skolene. Se veilederen på intranett.", [], no=True),
    Scenario("no_politician", "Pressemelding", "Ordfører Kari Nordmann (Ap) åpnet i dag det nye "
             "helsehuset. Sykehjemmet får 40 nye plasser.", [], no=True),
    Scenario("no_statute", "Spørsmål om innsyn", "Hei,\netter forvaltningsloven § 13 har enhver som utfører "
             "tjeneste for et forvaltningsorgan plikt til å hindre at andre får kjennskap til opplysninger om "
             "noens personlige forhold. Vi kan derfor ikke gi innsyn uten samtykke.", [], no=True),
    Scenario("no_lunch", "Meny uke 12", "Mandag: fiskekaker. Tirsdag: lapskaus. Onsdag: taco (glutenfri "
             "finnes). Torsdag: suppe. Fredag: pizza.", [], no=True),
    Scenario("no_nynorsk_info", "Informasjon frå skulen", "Hei alle føresette!\nSkulen har planleggingsdag "
             "fredag. SFO er ope som vanleg. Hugs å melde frå om fråvær til kontaktlæraren.", [], no=True),
    Scenario("no_phone", "Telefonliste", "Sentralbord: 55 56 00 00\nLegevakt: 116 117\nHelsesykepleier: "
             "909 12 345\nRektor: 478 90 123", [], no=True),
]
