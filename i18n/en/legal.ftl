# The personal-data page, the accessibility statement, the privacy notices' defaults and the
# legal pages' shared words, in English. Each key has its twin in ../fr/legal.ftl.

## Shared
legal-not-given = not given
level-commune = Commune
level-epci = Intercommunality
level-departement = Department
level-region = Region
level-etat = State
procedures-other-theme = Other services
# Long month names, for dates written out: "12 March 2026".
month-long-1 = January
month-long-2 = February
month-long-3 = March
month-long-4 = April
month-long-5 = May
month-long-6 = June
month-long-7 = July
month-long-8 = August
month-long-9 = September
month-long-10 = October
month-long-11 = November
month-long-12 = December
date-long = { $day } { $month } { $year }

## A form's privacy notice, where the form says nothing (plain text)
notice-purpose = Handling your request "{ $form }" and answering you.
notice-legal-basis = performance of a task carried out in the public interest (GDPR article 6(1)(e))
notice-elus = the elected officials of the commune your request concerns
notice-retention = { $days ->
    [one] { $days } day
   *[other] { $days } days
} after the request is closed
notice-retention-months = { $days ->
    [one] { $days } day
   *[other] { $days } days
} (≈ { $months } months) after the request is closed

## Personal data
pd-title = Personal data
pd-intro = The services on this site collect the information needed to handle your request. This page says who is responsible for it, why it is collected, who receives it, how long it is kept and how to exercise your rights.
pd-controller-title = Data controller
pd-controller = Controller
pd-address = Address
pd-dpo = Data protection officer
pd-forms-title = The services and their data
pd-no-forms = No service is offered online at the moment.
pd-purpose = Purpose
pd-legal-basis = Legal basis
pd-recipients = Recipients
pd-retention = Retention period
pd-anonymised = Once the retention period is over, the request is anonymised: the information about you is erased, only statistical data is kept.
pd-rights-title = Your rights
pd-right-access = <strong>Access:</strong> from the tracking link you received when you filed your request, "Download my data" gives you all the information recorded about you.
pd-right-other = <strong>Rectification, erasure, restriction and objection:</strong> write to the data protection officer ({ $dpo }) giving your request's reference.
pd-answer-within = We answer you within one month.
pd-complaint-title = Complaint to the CNIL
pd-complaint = If you believe, after contacting us, that your rights are not respected, you can lodge a complaint with the CNIL (the French data protection authority): online at www.cnil.fr/fr/plaintes, or by post to CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07, France.

## Accessibility statement
a11y-title = Accessibility statement
a11y-commitment = { $publisher } is committed to making its digital services accessible, in accordance with article 47 of French law no. 2005-102 of 11 February 2005.
a11y-scope = This accessibility statement applies to the online services site of { $territory }.
a11y-status-title = Compliance status
a11y-status = This site is <strong>{ $status }</strong> with the French general accessibility improvement framework (RGAA), version 4.1.
a11y-status-non = not compliant
a11y-status-partial = partially compliant
a11y-status-total = fully compliant
a11y-audit = A compliance audit was carried out on { $date }.
a11y-audit-by = A compliance audit was carried out on { $date } by { $auditor }.
a11y-audit-rate = The compliance audit carried out on { $date } shows that { $rate }% of the criteria of RGAA version 4.1 are met.
a11y-audit-rate-by = The compliance audit carried out on { $date } by { $auditor } shows that { $rate }% of the criteria of RGAA version 4.1 are met.
a11y-never-audited = No compliance audit has been carried out yet: until then, the site is declared not compliant, as the RGAA requires.
a11y-content-title = Non-accessible content
a11y-non-conformities-title = Non-conformities
a11y-no-non-conformity = No non-conformity is listed.
a11y-no-non-conformity-unaudited = No non-conformity is listed to date, as there has been no audit.
a11y-derogations-title = Exemptions for disproportionate burden
a11y-none = None.
a11y-statement-title = Preparation of this statement
a11y-statement-date = This statement was prepared on { $date }.
a11y-contact-title = Feedback and contact
a11y-contact = If you cannot access a content or a service, contact us to be directed to an accessible alternative or to obtain the content in another form: { $contact }.
a11y-recourse-title = Remedies
a11y-recourse-intro = If you notice an accessibility defect that prevents you from accessing a content or a feature of the site, you report it to us and you do not manage to get an answer from us, you are entitled to send your complaints or a request for referral to the Défenseur des droits (the French rights ombudsman):
a11y-recourse-write = write a message to the Défenseur des droits: <a href="https://formulaire.defenseurdesdroits.fr/" rel="noopener">formulaire.defenseurdesdroits.fr</a>;
a11y-recourse-delegate = contact the Défenseur des droits' delegate in your region: <a href="https://www.defenseurdesdroits.fr/saisir/delegues" rel="noopener">www.defenseurdesdroits.fr/saisir/delegues</a>;
a11y-recourse-post = send a letter by post (free of charge, no stamp needed): Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07, France.
