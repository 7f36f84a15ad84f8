# The public statistics page (/statistiques) and its charts, in English. Each key has its twin
# in ../fr/statistics.ftl.

## The page
stats-title = Request statistics
stats-intro = Every request filed with { $territory } { $period }. No personal data: only numbers and durations; a number below 5 is not published (statistical confidentiality), so that no request can be recognised.
stats-period = from { $first } to { $last }
stats-key = At a glance
stats-filed = Requests filed
stats-median-resolution = Median time to resolution
stats-median-resolution-detail = half of the closed requests were closed faster
stats-within = Closed on time
stats-within-detail = of the closed requests that had a deadline; time spent waiting for the resident's answer does not count
stats-filings = Requests filed each month
stats-backlog = Open requests
stats-top-forms = The most requested services
stats-by-commune = By commune
stats-communes-caption = Requests by commune
stats-commune = Commune
stats-requests = Requests
stats-per-thousand = Per 1,000 inhabitants
stats-per-thousand-hint = Per 1,000 inhabitants: INSEE's municipal population.
stats-open-data = The numbers by month, service, commune and status can also be <a href="/donnees-ouvertes/demandes.csv">downloaded as open data (CSV)</a>.
stats-withheld = not published (fewer than 5 requests)
stats-fewer-than = fewer than { $n }

## Charts (plain text)
chart-data = Chart data: { $caption }
chart-top-forms = Most requested services
chart-filings-title = Requests filed per { $per }, by { $by }
chart-per-week = week
chart-per-month = month
chart-by-status = current status
chart-by-channel = channel
chart-head-week = Week
chart-head-month = Month
chart-head-total = Total
chart-filings-summary = { $total } requests filed over the period; { $busiest }.
chart-busiest-week = the busiest week starts on { $label } ({ $n })
chart-busiest-month = the busiest month is { $label } ({ $n })
chart-no-filings = No request filed over the period.
chart-backlog-title = Requests open (not closed) at the end of each period
chart-backlog-summary = { $before } requests open at the start of the period, { $after } at the end.
chart-head-period = Period
chart-head-filed = Filed
chart-head-closed = Closed
chart-head-open-at-end = Open at the end
chart-head-requests = Requests
chart-ranking-lead = First: { $label } ({ $n } requests).
chart-ranking-none = No request to show.
chart-status-received = Received
chart-status-in-progress = In progress
chart-status-waiting = Waiting for the resident
chart-status-resolved = Resolved
chart-status-rejected = Rejected
# Short month names, under the bars: "Dec 2026".
month-short-1 = Jan
month-short-2 = Feb
month-short-3 = Mar
month-short-4 = Apr
month-short-5 = May
month-short-6 = Jun
month-short-7 = Jul
month-short-8 = Aug
month-short-9 = Sep
month-short-10 = Oct
month-short-11 = Nov
month-short-12 = Dec
# Durations read at a glance: "45 min", "5 h 20 min", "3 d 4 h" ($minutes after hours has two digits).
duration-minutes = { $minutes } min
duration-hours = { $hours } h { $minutes } min
duration-days = { $days } d { $hours } h
