# The public statistics page (/statistiques) and the charts and figures it shares with the
# back office's dashboard, in French. Each key has its twin in ../en/statistics.ftl.
# Keys read as plain text by Rust (charts, figures) hold a no-break space itself (U+00A0)
# before « : ; ! ? », never the entity &nbsp; (which would show as typed in an SVG).

## The page
stats-title = Statistiques des demandes
stats-intro = Toutes les demandes déposées auprès de { $territory } { $period }. Aucune donnée personnelle&nbsp;: seulement des nombres et des délais&nbsp;; un nombre inférieur à 5 n'est pas publié (secret statistique), pour qu'aucune demande ne puisse être reconnue.
stats-period = du { $first } au { $last }
stats-key = En bref
stats-filed = Demandes déposées
stats-median-resolution = Délai médian de résolution
stats-median-resolution-detail = la moitié des demandes closes l'ont été plus vite
stats-within = Closes dans les délais
stats-within-detail = des demandes closes qui avaient une échéance&nbsp;; l'attente d'une réponse de l'habitant ne compte pas
stats-filings = Demandes déposées chaque mois
stats-backlog = Demandes en cours
stats-top-forms = Les démarches les plus demandées
stats-by-commune = Par commune
stats-communes-caption = Demandes par commune
stats-commune = Commune
stats-requests = Demandes
stats-per-thousand = Pour 1&nbsp;000 habitants
stats-per-thousand-hint = Pour 1&nbsp;000 habitants&nbsp;: population municipale de l'INSEE.
stats-open-data = Les nombres par mois, démarche, commune et statut sont aussi <a href="/donnees-ouvertes/demandes.csv">téléchargeables en données ouvertes (CSV)</a>.
stats-withheld = non publié (moins de 5 demandes)
stats-fewer-than = moins de { $n }

## Charts (plain text)
chart-data = Données du graphique : { $caption }
chart-top-forms = Démarches les plus demandées
chart-filings-title = Demandes déposées par { $per }, par { $by }
chart-per-week = semaine
chart-per-month = mois
chart-by-status = statut actuel
chart-by-channel = canal
chart-head-week = Semaine
chart-head-month = Mois
chart-head-total = Total
chart-filings-summary = { $total } demandes déposées sur la période ; { $busiest }.
chart-busiest-week = la semaine la plus chargée commence le { $label } ({ $n })
chart-busiest-month = le mois le plus chargé est { $label } ({ $n })
chart-no-filings = Aucune demande déposée sur la période.
chart-backlog-title = Demandes en cours (non closes) en fin de période
chart-backlog-summary = { $before } demandes en cours au début de la période, { $after } à la fin.
chart-head-period = Période
chart-head-filed = Déposées
chart-head-closed = Closes
chart-head-open-at-end = En cours à la fin
chart-head-requests = Demandes
chart-ranking-lead = En tête : { $label } ({ $n } demandes).
chart-ranking-none = Aucune demande à montrer.
chart-status-received = Reçue
chart-status-in-progress = En cours
chart-status-waiting = En attente de l'habitant
chart-status-resolved = Traitée
chart-status-rejected = Refusée
# Short month names, under the bars: « déc. 2026 ».
month-short-1 = janv.
month-short-2 = févr.
month-short-3 = mars
month-short-4 = avr.
month-short-5 = mai
month-short-6 = juin
month-short-7 = juil.
month-short-8 = août
month-short-9 = sept.
month-short-10 = oct.
month-short-11 = nov.
month-short-12 = déc.
# Durations read at a glance: « 45 min », « 5 h 20 », « 3 j 4 h » ($minutes after hours has two digits).
duration-minutes = { $minutes } min
duration-hours = { $hours } h { $minutes }
duration-days = { $days } j { $hours } h
