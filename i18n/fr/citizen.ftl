# Guichet's own texts for citizens, in French (the default language).
# Each key has its twin in ../en/citizen.ftl (a unit test checks it). Page texts may hold
# HTML entities (&nbsp;): templates print them as markup; their arguments are escaped.

## Layout
skip-link = Aller au contenu
menu-label = Menu principal
menu-procedures = Démarches
menu-track = Suivre une demande
switch-language = English
switch-language-code = en
footer-legal-label = Informations légales
footer-legal-notice = Mentions légales
footer-personal-data = Données personnelles
footer-accessibility = Accessibilité
footer-site-map = Plan du site
footer-text = Guichet – service public numérique du territoire. Aucun compte n'est nécessaire pour déposer une demande.

## Error pages
error-back-home = Retour à l'accueil
error-title-not-found = Page introuvable
error-title-unavailable = Service momentanément indisponible
error-title-internal = Erreur de notre côté
error-title-too-many = Trop de demandes depuis votre connexion
error-title-other = Demande impossible à traiter
error-page-not-found = Cette page n'existe pas. Retournez à l'accueil pour trouver votre démarche.
error-internal = Une erreur inattendue est survenue de notre côté. Votre demande n'a pas été enregistrée : réessayez plus tard, ou contactez la mairie si le problème persiste.
error-unavailable = Le service est momentanément indisponible. Votre demande n'a pas été enregistrée : réessayez dans quelques minutes.
error-slow-body = La demande a mis trop de temps à arriver. Rien n'a été enregistré : réessayez.
error-text-too-large = Le contenu envoyé est trop volumineux : la limite est de { $kib } Kio. Raccourcissez les textes saisis.
error-files-too-large = Les fichiers envoyés sont trop volumineux : { $size } au total au plus. Envoyez des fichiers plus légers.
error-body-cut = Le contenu envoyé n'a pas pu être lu en entier : renvoyez la demande.
error-already-filed = Cette demande a déjà été envoyée : consultez votre lien de suivi.
error-bad-request = La demande est mal formée : vérifiez l'adresse et ses paramètres.
error-method = Cette action n'est pas possible à cette adresse.
error-too-large = Le contenu envoyé est trop volumineux : raccourcissez-le.
error-media-type = Ce type de contenu n'est pas accepté à cette adresse.
error-unavailable-nothing = Le service est momentanément indisponible. Rien n'a été enregistré : réessayez dans quelques minutes.
error-server = Une erreur inattendue est survenue de notre côté. Rien n'a été enregistré : réessayez plus tard.
error-other = Cette demande ne peut pas être traitée : vérifiez l'adresse.
error-unknown-form = Cette démarche n'existe pas ou n'est plus proposée. Retournez à l'accueil pour trouver la bonne démarche.
error-form-not-in-commune = Cette démarche n'est pas proposée dans cette commune. Consultez la page de votre commune pour trouver la bonne démarche.
error-tracking-page = Cette page n'existe pas : revenez à votre lien de suivi.
error-unknown-link = Aucune demande ne correspond à ce lien de suivi : vérifiez qu'il a été copié en entier, ou cherchez votre demande par sa référence.
error-too-many-lookups = Trop de consultations de suivi depuis votre connexion. Patientez { $wait } avant de réessayer.
wait-seconds = { $n ->
    [one] { $n } seconde
   *[other] { $n } secondes
}
wait-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
wait-hours = { $n ->
    [one] { $n } heure
   *[other] { $n } heures
}

## The form
form-error-prefix = Erreur :
form-all-procedures = Toutes les démarches
form-commune = Commune : { $name }
form-summary-title = Votre demande n'est pas encore complète
form-summary-fix = Corrigez { $count ->
    [one] le point suivant
   *[other] les { $count } points suivants
}&nbsp;:
form-preview = <strong>Aperçu du brouillon.</strong> Le formulaire est affiché comme les habitants le verront ; il ne peut pas être envoyé d'ici.
form-required-note = Sauf mention « facultatif », tous les champs sont obligatoires.
form-back-step = Retour à l'étape précédente
form-next-back-to-review = Enregistrer et revenir à la vérification
form-next-review = Vérifier mes réponses
form-next-continue = Continuer
form-step-title = Étape { $number } sur { $total } : { $title }
form-changed = Ce formulaire a été mis à jour pendant que vous le remplissiez. Vos réponses sont gardées : vérifiez-les étape par étape, puis continuez.
form-state-tampered = Vos réponses n'ont pas pu être reprises : la page envoyée a été modifiée ou est incomplète. Recommencez la démarche ci-dessous ; rien n'a été envoyé.
form-state-expired = Vos réponses n'ont été gardées que 24 heures et ce délai est passé. Recommencez la démarche ci-dessous ; rien n'a été envoyé.
form-too-many-files = Trop de fichiers ont été envoyés depuis votre connexion : ceux-ci n'ont pas été reçus. Vos réponses sont conservées ; joignez vos fichiers de nouveau dans { $wait }.
form-too-many-submissions = Trop de demandes ont été envoyées depuis votre connexion. Votre demande n'est pas encore envoyée, mais vos réponses sont conservées : cliquez de nouveau sur « Envoyer ma demande » dans { $wait }.
field-optional = (facultatif)
field-error-prefix = Erreur&nbsp;:
field-choose = Choisissez…
field-already-attached = Déjà joint : { $files }. Choisissez d'autres fichiers pour les remplacer.
field-date-example = Par exemple : 14/03/2026.
field-max-length = { $max ->
    [one] { $max } caractère maximum.
   *[other] { $max } caractères maximum.
}
field-range-between = Entre { $min } et { $max }.
field-range-min = Au moins { $min }.
field-range-max = Au plus { $max }.
field-files-several = Jusqu'à { $count } fichiers de { $size } chacun au plus
field-files-one = Un fichier de { $size } au plus
field-files-formats = { $files }, { $count ->
    [one] format
   *[other] formats
} { $formats }.
field-files-or = ou
field-size-mb = { $n } Mo
field-size-kb = { $n } Ko
field-condition = À remplir seulement si « { $name } » est : { $values }.
field-condition-not = À remplir seulement si « { $name } » n'est pas : { $values }.
commune-choice-label = Commune concernée
commune-choice-hint = Cette démarche n'est proposée que dans ces communes.
commune-choice-placeholder = Choisissez une commune
privacy-title = Vos données personnelles
privacy-purpose = Finalité&nbsp;:
privacy-controller = Responsable du traitement&nbsp;:
privacy-legal-basis = Base légale&nbsp;:
privacy-recipients = Destinataires&nbsp;:
privacy-retention = Durée de conservation&nbsp;:
privacy-rights = Vos droits&nbsp;:
privacy-rights-text = vous pouvez télécharger vos données depuis votre lien de suivi ; pour les faire rectifier ou effacer, ou vous opposer à leur traitement, écrivez au délégué à la protection des données ({ $dpo }).
privacy-more = En savoir plus sur vos données et vos droits

## Validation messages (plain text)
invalid-control-character = Ce champ contient un caractère invisible qui n'est pas accepté (un caractère de contrôle ou d'inversion du sens d'écriture, souvent venu d'un copier-coller) : retapez le texte.
invalid-required-choice = Ce champ est obligatoire : choisissez une réponse.
invalid-required = Ce champ est obligatoire : complétez-le.
invalid-required-named = Le champ « { $name } » est obligatoire.
invalid-unknown-field = Le champ « { $name } » n'existe pas dans ce formulaire : retirez-le.
invalid-minimum = Saisissez une valeur supérieure ou égale à { $limit }.
invalid-maximum = Saisissez une valeur inférieure ou égale à { $limit }.
invalid-exclusive-minimum = Saisissez une valeur strictement supérieure à { $limit }.
invalid-exclusive-maximum = Saisissez une valeur strictement inférieure à { $limit }.
invalid-multiple-of = Cette valeur n'est pas un multiple accepté : vérifiez le nombre saisi.
invalid-min-length = Ce texte est trop court : saisissez au moins { $limit ->
    [one] { $limit } caractère
   *[other] { $limit } caractères
}.
invalid-max-length = Ce texte est trop long : { $limit ->
    [one] { $limit } caractère
   *[other] { $limit } caractères
} au maximum (vous en avez saisi { $length }). Raccourcissez-le.
invalid-pattern = Le format saisi n'est pas celui attendu : vérifiez la valeur.
invalid-choice = Choisissez une des options proposées.
invalid-min-items = Cochez au moins { $limit ->
    [one] { $limit } case
   *[other] { $limit } cases
}.
invalid-max-items = Cochez au plus { $limit ->
    [one] { $limit } case
   *[other] { $limit } cases
}.
invalid-unique-items = Chaque option ne peut être choisie qu'une fois.
invalid-false-schema = Ce champ n'est pas attendu ici : retirez-le.
invalid-properties = Le nombre de champs remplis n'est pas celui attendu.
invalid-other = Cette valeur n'est pas acceptée : vérifiez-la.
invalid-type-integer = Saisissez un nombre entier, en chiffres (par exemple 4).
invalid-type-number = Saisissez un nombre, en chiffres (par exemple 2,5).
invalid-type-string = Saisissez un texte.
invalid-type-boolean = Répondez par oui ou par non (true ou false).
invalid-type-array = Ce champ attend une liste de choix.
invalid-type-object = Ce champ attend un groupe de réponses (un objet JSON).
invalid-type-null = Ce champ doit être vide.
invalid-format-email = Saisissez une adresse e-mail valide, par exemple nom@exemple.fr.
invalid-format-date = Saisissez une date valide, jour, mois et année, par exemple 14/03/2026 (ou 2026-03-14).
invalid-format-tel = Saisissez un numéro de téléphone valide, par exemple 05 53 00 00 00.
invalid-format-uri = Saisissez une adresse web complète, commençant par https://.
invalid-format-other = La valeur n'a pas le format attendu ({ $format }).

## Review
review-title = Vérifiez vos réponses
review-no-answer = Aucune réponse.
review-edit = Modifier
review-edit-step = l'étape « { $title } »
review-consent = En envoyant cette demande, vous acceptez qu'elle soit transmise au service compétent.
review-send = Envoyer ma demande
review-edit-all = Modifier mes réponses

## Receipt and tracking
track-title = Demande { $reference }
receipt-title = Votre demande est enregistrée
receipt-reference = Votre référence :
receipt-reference-use = Donnez cette référence si vous appelez le service. Elle permet seulement de connaître l'état de la demande.
receipt-keep-link = Conservez ce lien privé : il permet de suivre votre demande et de voir ses détails. Ne le partagez pas.
receipt-next = Et maintenant&nbsp;?
receipt-service-received = Le service «&nbsp;{ $service }&nbsp;» a reçu votre demande et va l'examiner.
receipt-service-received-due = Le service «&nbsp;{ $service }&nbsp;» a reçu votre demande et va l'examiner&nbsp;: il prévoit de la traiter d'ici le <strong class="due">{ $due }</strong> (ce délai est suspendu s'il doit attendre une précision de votre part).
receipt-email-sent = Un e-mail de confirmation vient d'être envoyé à <strong>{ $email }</strong>, avec ce lien. Vous serez prévenu par e-mail quand le service vous écrira ou changera le statut de la demande.
receipt-no-email = Vous n'avez pas donné d'adresse e-mail&nbsp;: revenez sur ce lien pour voir l'avancement et les messages du service.
receipt-question = Si le service a besoin d'une précision, sa question apparaîtra sur cette page et vous pourrez y répondre.
track-request = Demande
track-procedure = Démarche
track-status = Statut
track-service = Service
track-filed-on = Déposée le
track-files = Pièces jointes
track-your-answers = Vos réponses
track-anonymisation = Votre demande est close. Vos données personnelles seront effacées le { $day } ; seules des informations sans lien avec vous (démarche, commune, dates, statut) seront gardées pour les statistiques.
track-my-data = Télécharger mes données
track-my-data-hint = (page à imprimer, ou fichier JSON)
track-waiting = Le service attend votre réponse
track-write = Écrire au service
track-your-reply = Votre réponse
track-your-message = Votre message
track-reply-hint = Répondez à la question ci-dessus. Votre réponse s'ajoute à la demande et le service en est averti.
track-message-hint = Ajoutez une précision utile au service. Votre message s'ajoute à la demande.
track-send-reply = Envoyer ma réponse
track-not-fixed-title = Le problème n'est pas résolu ?
track-not-fixed-label = Expliquez ce qui ne va pas
track-not-fixed-send = Le problème n'est pas résolu
track-history = Historique
status-received = Reçue
status-in-progress = En cours de traitement
status-waiting = En attente de votre réponse
status-resolved = Traitée
status-rejected = Refusée
date-time = { $date } à { $hour } h { $minute }
history-submitted = Demande déposée et transmise au service « { $service } »
history-closed-no-reply = Demande close sans réponse de votre part : { $text }
history-status = Statut : { $from } → { $to }
history-message = Message du service : { $text }
history-reminded = Relance : { $text }
history-public-note = Note publique du service : { $text }
history-renewed = Nouveau lien de suivi envoyé à votre adresse e-mail (l'ancien ne fonctionne plus)
history-reply = Votre réponse : { $text }
history-transferred = Demande transmise au service « { $service } »
history-reopened = Vous avez signalé que le problème n'est pas résolu : { $text }

## Look-up by reference
lookup-title = Suivre une demande
lookup-intro = Saisissez la référence de votre demande pour connaître son état. Pour voir son détail, utilisez le lien privé reçu lors du dépôt. Vous l'avez perdu ? <a href="/suivi/retrouver">Recevez un nouveau lien par e-mail</a>.
lookup-label = Référence de la demande
lookup-hint = Par exemple&nbsp;: GU-7K4M-2Q9P
lookup-submit = Voir l'état
lookup-result = Demande <strong class="ref">{ $reference }</strong> : <strong>{ $status }</strong> (mise à jour le { $date }).
lookup-unknown = Aucune demande ne porte la référence { $reference }. Vérifiez-la sur votre accusé de réception.

## Lost link
recover-title = Retrouver mes demandes
recover-sent = Si des demandes ont été déposées avec l'adresse <strong>{ $email }</strong> au cours des douze derniers mois, un nouveau lien de suivi pour chacune vient d'y être envoyé. Les anciens liens de ces demandes ne fonctionnent plus.
recover-nothing = Rien reçu d'ici quelques minutes ? Vérifiez vos courriers indésirables et l'adresse saisie, ou appelez le service avec la référence de votre demande.
recover-other = Essayer une autre adresse
recover-by-reference = Suivre une demande avec sa référence
recover-intro = Vous avez perdu le lien de suivi reçu lors du dépôt ? Saisissez l'adresse e-mail donnée dans votre demande : chaque demande déposée avec cette adresse au cours des douze derniers mois recevra un nouveau lien, et l'ancien cessera de fonctionner.
recover-label = Votre adresse e-mail
recover-submit = Recevoir un nouveau lien
recover-know-reference = Vous connaissez la référence de votre demande ? <a href="/suivi">Consultez son état</a>.

## Portal
portal-title = Démarches en ligne
portal-heading = Vos démarches auprès de { $territory }
portal-intro = Déposez une demande sans créer de compte : vous recevez une référence et un lien privé pour la suivre.
portal-search-label = Rechercher une démarche
portal-search = Rechercher
portal-your-commune = Votre commune
portal-commune-label = Code postal ou nom de votre commune
portal-commune-search = Trouver ma commune
results-count = { $count ->
    [one] { $count } démarche pour « { $query } »
   *[other] { $count } démarches pour « { $query } »
}
results-none = Aucune démarche ne correspond : essayez un autre mot, ou parcourez toutes les démarches.
results-all = Voir toutes les démarches
procedure-here = se fait sur ce site
procedure-elsewhere = se fait sur un autre site

## Validation: communes and postcodes
invalid-commune-unknown = La commune « { $commune } » ne fait pas partie du territoire : choisissez une commune dans la liste.
invalid-commune-not-offered = Cette démarche n'est pas proposée à { $commune } : elle ne l'est qu'à { $offered }. Choisissez l'une de ces communes, ou consultez la page de votre commune pour trouver la bonne démarche.
invalid-commune-missing = Indiquez la commune concernée : cette démarche n'est proposée qu'à { $offered }.
invalid-postcode-unknown = Le code postal { $postcode } n'est celui d'aucune commune du territoire : vérifiez-le (celui de { $commune } est { $postcodes }).
invalid-postcode-other = { $commune } n'a pas le code postal { $postcode }. Ce code postal est celui de : { $communes }. Choisissez votre commune parmi elles, ou corrigez le code postal.
invalid-repeated = Ce champ a été envoyé plusieurs fois : rechargez la page et donnez une seule réponse.
portal-all-communes = Toutes les communes

## A commune's page and the commune finder
commune-contact = Contacter la mairie
commune-address = Adresse : { $value }
commune-phone = Téléphone : { $value }
commune-email = E-mail : { $value }
commune-hours = Horaires : { $value }
commune-website = Site :
commune-search-label = Rechercher une démarche à { $name }
commune-news = Actualités
commune-no-news = Aucune actualité en ce moment.
commune-news-date = Le { $date }
commune-news-feed = S'abonner aux actualités (flux Atom)
commune-embed-title = Ajouter ces démarches au site de la commune
commune-embed-link = Un lien vers cette page :
commune-embed-frame = Ou cette page dans un cadre (les formulaires s'ouvrent avec la commune déjà remplie) :
commune-embed-none = Le cadre ne s'affiche que sur les sites que le territoire autorise pour cette commune ; aucun ne l'est encore : demandez à l'administrateur de Guichet d'ajouter l'adresse du site de la mairie.
commune-embed-allowed = Sites autorisés à afficher ce cadre : { $origins }.
site-picture-alt = Blason ou image de la commune
site-mayor = Maire&nbsp;: { $name }
site-hours = Horaires de la mairie
site-open-now = Ouvert maintenant
site-closed = Fermé
site-open-hint = (selon les horaires habituels&nbsp;; les jours fériés et fermetures exceptionnelles ne sont pas pris en compte)
site-contacts = Contacts
site-contact-line = { $label }&nbsp;: { $value }
site-links = Liens utiles
day-1 = lundi
day-2 = mardi
day-3 = mercredi
day-4 = jeudi
day-5 = vendredi
day-6 = samedi
day-7 = dimanche
feed-title = Actualités de { $commune }
feed-author = Mairie de { $commune }
error-no-picture = Cette commune n'a pas d'image.
error-no-feed = Cette commune ne fait pas partie du territoire : il n'y a pas d'actualités à suivre ici.
finder-title = Trouver ma commune
finder-hint = Par exemple : 47200 ou Marmande
finder-submit = Chercher
finder-all = Toutes les démarches de { $territory }
finder-none = Aucune commune du territoire ne correspond à « { $query } ». Vérifiez le code postal ou le nom, ou choisissez dans la liste des communes.
finder-several = { $count } communes correspondent à « { $query } » : choisissez la vôtre.
error-unknown-commune = Cette commune ne fait pas partie du territoire. Retournez à l'accueil pour choisir la vôtre.

## My data
my-data-title = Mes données – demande { $reference }
my-data-heading = Mes données – demande
my-data-intro = Voici tout ce que le service conserve sur votre demande, à la date du { $date }. Imprimez cette page ou enregistrez-la (menu « Imprimer » de votre navigateur, puis « Enregistrer en PDF »).
my-data-download = Télécharger ces données dans un fichier (JSON)
my-data-back = Revenir au suivi de la demande
my-data-request = La demande
my-data-reference = Référence
my-data-version = version
my-data-commune = Commune
my-data-no-commune = non précisée
my-data-updated = Dernière mise à jour
my-data-no-labels = Les libellés du formulaire ne sont plus disponibles : vos réponses figurent telles qu'enregistrées ci-dessous.
my-data-no-files = Aucune pièce jointe.
my-data-messages = Messages échangés
my-data-no-messages = Aucun message.
my-data-raw = Vos réponses telles qu'enregistrées
my-data-from-service = Le service
my-data-from-you = Vous

## Legal notice and site map (the territory's own texts stay as written)
legal-title = Mentions légales
legal-publisher-title = Éditeur du site
legal-publisher = Éditeur
legal-address = Adresse
legal-email = E-mail
legal-phone = Téléphone
legal-director = Directeur ou directrice de la publication
legal-host-title = Hébergeur
legal-host = Hébergeur
legal-software-title = Logiciel
legal-software = Ce site fonctionne avec Guichet, un logiciel libre publié sous licence AGPL-3.0 ou ultérieure.
legal-data-title = Données personnelles et accessibilité
legal-data = Le traitement de vos données et vos droits sont décrits sur la page <a href="/donnees-personnelles">Données personnelles</a>. L'état d'accessibilité du site est décrit dans la <a href="/accessibilite">déclaration d'accessibilité</a>.
legal-cookies = Ce site ne dépose aucun cookie de mesure d'audience ni de publicité.
map-title = Plan du site
map-home = Accueil : toutes les démarches
map-recover = Retrouver mes demandes (lien de suivi perdu)
map-communes = Les communes
map-external = Démarches auprès d'autres administrations
map-open-data = Données ouvertes
map-statistics = Statistiques des demandes (graphiques et tableaux)
map-csv = Nombre de demandes par mois, démarche, commune et statut (CSV ; les nombres inférieurs à 5 ne sont pas publiés)

## Errors a citizen's post or address can meet (plain text: a no-break space itself before « : ; ! ? »)
upload-internal = Le fichier n'a pas pu être enregistré de notre côté : réessayez plus tard.
upload-cut = Le fichier « { $name } » n'a pas pu être lu en entier ({ $detail }) : renvoyez-le.
upload-too-large = Le fichier « { $name } » est trop volumineux : { $max } au plus.
upload-empty = Le fichier « { $name } » est vide : choisissez-en un autre.
upload-type = Le fichier « { $name } » n'est pas d'un format accepté : envoyez un fichier { $formats }.
upload-virus = Le fichier « { $name } » a été refusé par l'antivirus : { $why }
upload-unreadable = Le formulaire envoyé est illisible : rechargez la page et réessayez.
upload-cut-form = Le formulaire n'a pas pu être lu en entier : renvoyez-le.
upload-gone = Le fichier « { $name } » n'est plus disponible : choisissez-le de nouveau.
upload-too-many = Trop de fichiers : { $max } au plus. Choisissez-en moins.
upload-not-attached = Ce fichier n'est pas joint à cette demande.
form-not-from-page = Ce formulaire s'envoie depuis sa page : rechargez-la et réessayez.
form-unreadable = Le formulaire envoyé est illisible (caractères mal encodés ou caractère nul) : rechargez la page et réessayez.
error-nul-in-address = L'adresse demandée contient un caractère nul (%00) : vérifiez le lien.
error-cross-site = Cette action a été refusée : elle a été envoyée depuis un autre site. Ouvrez Guichet directement et recommencez.
error-host-header = La demande doit porter exactement un en-tête Host, qui nomme le site (par exemple Host: guichet.example.fr) : corrigez le client HTTP qui l'envoie.
error-expect-header = L'en-tête Expect de la demande demande autre chose que « 100-continue », seule attente possible : retirez-le et renvoyez la demande.
lookup-invalid = « { $reference } » n'est pas une référence valide : elle a la forme GU-XXXX-XXXX.
recover-invalid = Saisissez l'adresse e-mail donnée lors du dépôt de vos demandes, par exemple prenom.nom@exemple.fr.
track-text-blank = Votre message est vide : écrivez-le avant d'envoyer.
track-text-too-long = Votre message dépasse { $max } caractères : raccourcissez-le.
track-text-invisible = Votre message contient un caractère invisible (souvent venu d'un copier-coller) : retapez-le sans ce caractère.
track-reply-closed = Cette demande est close. Si le problème n'est pas réglé, utilisez le bouton « Le problème n'est pas résolu ».
track-not-resolved = Seule une demande traitée peut être signalée comme non résolue.
reminder-waiting = Le service attend votre réponse pour continuer à traiter votre demande.
reminder-question = Le service attend votre réponse à sa question : « { $question } »
reminder-closed = Si vous avez encore besoin de ce service, déposez une nouvelle demande en rappelant la référence { $reference }.
