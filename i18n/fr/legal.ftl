# The personal-data page (/donnees-personnelles), the accessibility statement (/accessibilite),
# the privacy notices' defaults and the legal pages' shared words, in French. One key per
# paragraph; each has its twin in ../en/legal.ftl. The territory's own texts (territory.toml's
# [privacy] and [legal]) are shown as it wrote them, in the page's language or not.
# Keys read as plain text by Rust hold a no-break space itself (U+00A0) before « : ; ! ? »;
# page texts use &nbsp;.

## Shared
legal-not-given = non renseigné
level-commune = Commune
level-epci = Intercommunalité
level-departement = Département
level-region = Région
level-etat = État
procedures-other-theme = Autres démarches
# Long month names, for dates written out: « 12 mars 2026 ».
month-long-1 = janvier
month-long-2 = février
month-long-3 = mars
month-long-4 = avril
month-long-5 = mai
month-long-6 = juin
month-long-7 = juillet
month-long-8 = août
month-long-9 = septembre
month-long-10 = octobre
month-long-11 = novembre
month-long-12 = décembre
date-long = { $day ->
    [1] 1er
   *[other] { $day }
} { $month } { $year }

## A form's privacy notice, where the form says nothing (plain text)
notice-purpose = Traiter votre demande « { $form } » et vous répondre.
notice-legal-basis = exécution d'une mission d'intérêt public (article 6-1-e du RGPD)
notice-elus = les élus de la commune concernée par votre demande
notice-retention = { $days ->
    [one] { $days } jour
   *[other] { $days } jours
} après la clôture de la demande
notice-retention-months = { $days ->
    [one] { $days } jour
   *[other] { $days } jours
} (≈ { $months } mois) après la clôture de la demande

## Personal data
pd-title = Données personnelles
pd-intro = Les démarches de ce site recueillent les informations nécessaires au traitement de votre demande. Cette page dit qui en est responsable, pourquoi elles sont recueillies, qui les reçoit, combien de temps elles sont conservées et comment exercer vos droits.
pd-controller-title = Responsable du traitement
pd-controller = Responsable
pd-address = Adresse
pd-dpo = Délégué à la protection des données
pd-forms-title = Les démarches et leurs données
pd-no-forms = Aucune démarche n'est proposée en ligne pour le moment.
pd-purpose = Finalité
pd-legal-basis = Base légale
pd-recipients = Destinataires
pd-retention = Durée de conservation
pd-anonymised = Passé la durée de conservation, la demande est anonymisée&nbsp;: les informations qui vous concernent sont effacées, seules des données statistiques sont gardées.
pd-rights-title = Vos droits
pd-right-access = <strong>Accès&nbsp;:</strong> depuis le lien de suivi reçu lors du dépôt de votre demande, « Télécharger mes données » vous donne toutes les informations enregistrées à votre sujet.
pd-right-other = <strong>Rectification, effacement, limitation et opposition&nbsp;:</strong> écrivez au délégué à la protection des données ({ $dpo }) en indiquant la référence de votre demande.
pd-answer-within = Nous vous répondons dans un délai d'un mois.
pd-complaint-title = Réclamation auprès de la CNIL
pd-complaint = Si vous estimez, après nous avoir contactés, que vos droits ne sont pas respectés, vous pouvez adresser une réclamation à la CNIL : en ligne sur www.cnil.fr/fr/plaintes, ou par courrier à la CNIL, 3 place de Fontenoy, TSA 80715, 75334 Paris Cedex 07.

## Accessibility statement
a11y-title = Déclaration d'accessibilité
a11y-commitment = { $publisher } s'engage à rendre ses services numériques accessibles, conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.
a11y-scope = Cette déclaration d'accessibilité s'applique au site de démarches en ligne de { $territory }.
a11y-status-title = État de conformité
a11y-status = Ce site est <strong>{ $status }</strong> avec le référentiel général d'amélioration de l'accessibilité (RGAA), version 4.1.
a11y-status-non = non conforme
a11y-status-partial = partiellement conforme
a11y-status-total = totalement conforme
a11y-audit = Un audit de conformité a été réalisé le { $date }.
a11y-audit-by = Un audit de conformité a été réalisé le { $date } par { $auditor }.
a11y-audit-rate = L'audit de conformité réalisé le { $date } révèle que { $rate } % des critères du RGAA version 4.1 sont respectés.
a11y-audit-rate-by = L'audit de conformité réalisé le { $date } par { $auditor } révèle que { $rate } % des critères du RGAA version 4.1 sont respectés.
a11y-never-audited = Aucun audit de conformité n'a encore été réalisé&nbsp;: en attendant, le site est déclaré non conforme, comme le prévoit le RGAA.
a11y-content-title = Contenus non accessibles
a11y-non-conformities-title = Non-conformités
a11y-no-non-conformity = Aucune non-conformité n'est recensée.
a11y-no-non-conformity-unaudited = Aucune non-conformité n'est recensée à ce jour, faute d'audit.
a11y-derogations-title = Dérogations pour charge disproportionnée
a11y-none = Aucune.
a11y-statement-title = Établissement de cette déclaration
a11y-statement-date = Cette déclaration a été établie le&nbsp;: { $date }.
a11y-contact-title = Retour d'information et contact
a11y-contact = Si vous n'arrivez pas à accéder à un contenu ou à un service, contactez-nous pour être orienté vers une alternative accessible ou obtenir le contenu sous une autre forme&nbsp;: { $contact }.
a11y-recourse-title = Voies de recours
a11y-recourse-intro = Si vous constatez un défaut d'accessibilité vous empêchant d'accéder à un contenu ou à une fonctionnalité du site, que vous nous le signalez et que vous ne parvenez pas à obtenir une réponse de notre part, vous êtes en droit de faire parvenir vos doléances ou une demande de saisine au Défenseur des droits&nbsp;:
a11y-recourse-write = écrire un message au Défenseur des droits&nbsp;: <a href="https://formulaire.defenseurdesdroits.fr/" rel="noopener">formulaire.defenseurdesdroits.fr</a>&nbsp;;
a11y-recourse-delegate = contacter le délégué du Défenseur des droits dans votre région&nbsp;: <a href="https://www.defenseurdesdroits.fr/saisir/delegues" rel="noopener">www.defenseurdesdroits.fr/saisir/delegues</a>&nbsp;;
a11y-recourse-post = envoyer un courrier par la poste (gratuit, ne pas mettre de timbre)&nbsp;: Défenseur des droits, Libre réponse 71120, 75342 Paris CEDEX 07.
