# Guichet's own texts for citizens, in English. Each key has its twin in ../fr/citizen.ftl.

## Layout
skip-link = Skip to content
menu-label = Main menu
menu-procedures = Services
menu-track = Track a request
switch-language = Français
switch-language-code = fr
footer-legal-label = Legal information
footer-legal-notice = Legal notice
footer-personal-data = Personal data
footer-accessibility = Accessibility
footer-site-map = Site map
footer-text = Guichet – the territory's digital public service. No account is needed to file a request.

## Error pages
error-back-home = Back to the home page
error-title-not-found = Page not found
error-title-unavailable = Service temporarily unavailable
error-title-internal = Error on our side
error-title-too-many = Too many requests from your connection
error-title-other = Request cannot be processed
error-page-not-found = This page does not exist. Go back to the home page to find your service.
error-internal = An unexpected error occurred on our side. Your request was not saved: try again later, or contact the town hall if the problem persists.
error-unavailable = The service is temporarily unavailable. Your request was not saved: try again in a few minutes.
error-slow-body = The request took too long to arrive. Nothing was saved: try again.
error-text-too-large = What you sent is too large: the limit is { $kib } KiB. Shorten the texts you typed.
error-files-too-large = The files you sent are too large: { $size } in all at most. Send lighter files.
error-body-cut = What you sent could not be read in full: send the request again.
error-already-filed = This request has already been sent: see your tracking link.
error-bad-request = The request is malformed: check the address and its parameters.
error-method = This action is not possible at this address.
error-too-large = What you sent is too large: shorten it.
error-media-type = This type of content is not accepted at this address.
error-unavailable-nothing = The service is temporarily unavailable. Nothing was saved: try again in a few minutes.
error-server = An unexpected error occurred on our side. Nothing was saved: try again later.
error-other = This request cannot be processed: check the address.
error-unknown-form = This service does not exist or is no longer offered. Go back to the home page to find the right service.
error-form-not-in-commune = This service is not offered in this commune. See your commune's page to find the right service.
error-tracking-page = This page does not exist: go back to your tracking link.
error-unknown-link = No request matches this tracking link: check that it was copied in full, or look your request up by its reference.
error-too-many-lookups = Too many tracking look-ups from your connection. Wait { $wait } before trying again.
wait-seconds = { $n ->
    [one] { $n } second
   *[other] { $n } seconds
}
wait-minutes = { $n ->
    [one] { $n } minute
   *[other] { $n } minutes
}
wait-hours = { $n ->
    [one] { $n } hour
   *[other] { $n } hours
}

## The form
form-error-prefix = Error:
form-all-procedures = All services
form-commune = Commune: { $name }
form-summary-title = Your request is not complete yet
form-summary-fix = Fix { $count ->
    [one] the following point
   *[other] the following { $count } points
}:
form-preview = <strong>Draft preview.</strong> The form is shown as residents will see it; it cannot be sent from here.
form-required-note = All fields are required unless marked “optional”.
form-back-step = Back to the previous step
form-next-back-to-review = Save and go back to the check
form-next-review = Check my answers
form-next-continue = Continue
form-step-title = Step { $number } of { $total }: { $title }
form-changed = This form was updated while you were filling it in. Your answers are kept: check them step by step, then continue.
form-state-tampered = Your answers could not be picked up again: the page sent was changed or is incomplete. Start the form again below; nothing was sent.
form-state-expired = Your answers were kept for 24 hours only and that time has passed. Start the form again below; nothing was sent.
form-too-many-files = Too many files were sent from your connection: these were not received. Your answers are kept; attach your files again in { $wait }.
form-too-many-submissions = Too many requests were sent from your connection. Your request is not sent yet, but your answers are kept: click “Send my request” again in { $wait }.
field-optional = (optional)
field-error-prefix = Error:
field-choose = Choose…
field-already-attached = Already attached: { $files }. Choose other files to replace them.
field-date-example = For example: 14/03/2026.
field-max-length = { $max ->
    [one] { $max } character maximum.
   *[other] { $max } characters maximum.
}
field-range-between = Between { $min } and { $max }.
field-range-min = At least { $min }.
field-range-max = At most { $max }.
field-files-several = Up to { $count } files of { $size } each at most
field-files-one = One file of { $size } at most
field-files-formats = { $files }, { $count ->
    [one] format
   *[other] formats
} { $formats }.
field-files-or = or
field-size-mb = { $n } MB
field-size-kb = { $n } KB
field-condition = Fill in only if “{ $name }” is: { $values }.
field-condition-not = Fill in only if “{ $name }” is not: { $values }.
commune-choice-label = Commune concerned
commune-choice-hint = This service is offered in these communes only.
commune-choice-placeholder = Choose a commune
privacy-title = Your personal data
privacy-purpose = Purpose:
privacy-controller = Data controller:
privacy-legal-basis = Legal basis:
privacy-recipients = Recipients:
privacy-retention = Retention period:
privacy-rights = Your rights:
privacy-rights-text = you can download your data from your tracking link; to have it corrected or erased, or to object to its processing, write to the data protection officer ({ $dpo }).
privacy-more = More about your data and your rights

## Validation messages (plain text)
invalid-control-character = This field holds an invisible character that is not accepted (a control or text-direction character, often from a copy and paste): type the text again.
invalid-required-choice = This field is required: choose an answer.
invalid-required = This field is required: fill it in.
invalid-required-named = The field “{ $name }” is required.
invalid-unknown-field = The field “{ $name }” does not exist in this form: remove it.
invalid-minimum = Enter a value greater than or equal to { $limit }.
invalid-maximum = Enter a value less than or equal to { $limit }.
invalid-exclusive-minimum = Enter a value strictly greater than { $limit }.
invalid-exclusive-maximum = Enter a value strictly less than { $limit }.
invalid-multiple-of = This value is not an accepted multiple: check the number entered.
invalid-min-length = This text is too short: enter at least { $limit ->
    [one] { $limit } character
   *[other] { $limit } characters
}.
invalid-max-length = This text is too long: { $limit ->
    [one] { $limit } character
   *[other] { $limit } characters
} at most (you entered { $length }). Shorten it.
invalid-pattern = The format entered is not the one expected: check the value.
invalid-choice = Choose one of the options offered.
invalid-min-items = Tick at least { $limit ->
    [one] { $limit } box
   *[other] { $limit } boxes
}.
invalid-max-items = Tick at most { $limit ->
    [one] { $limit } box
   *[other] { $limit } boxes
}.
invalid-unique-items = Each option can be chosen only once.
invalid-false-schema = This field is not expected here: remove it.
invalid-properties = The number of fields filled in is not the one expected.
invalid-other = This value is not accepted: check it.
invalid-type-integer = Enter a whole number, in digits (for example 4).
invalid-type-number = Enter a number, in digits (for example 2.5).
invalid-type-string = Enter a text.
invalid-type-boolean = Answer yes or no (true or false).
invalid-type-array = This field expects a list of choices.
invalid-type-object = This field expects a group of answers (a JSON object).
invalid-type-null = This field must be empty.
invalid-format-email = Enter a valid e-mail address, for example name@example.com.
invalid-format-date = Enter a valid date, day, month and year, for example 14/03/2026 (or 2026-03-14).
invalid-format-tel = Enter a valid phone number, for example 05 53 00 00 00.
invalid-format-uri = Enter a complete web address, starting with https://.
invalid-format-other = The value does not have the expected format ({ $format }).

## Review
review-title = Check your answers
review-no-answer = No answer.
review-edit = Change
review-edit-step = the step “{ $title }”
review-consent = By sending this request, you agree that it is passed on to the service in charge.
review-send = Send my request
review-edit-all = Change my answers

## Receipt and tracking
track-title = Request { $reference }
receipt-title = Your request has been saved
receipt-reference = Your reference:
receipt-reference-use = Give this reference if you call the service. It only tells the status of the request.
receipt-keep-link = Keep this private link: it lets you follow your request and see its details. Do not share it.
receipt-next = What happens next?
receipt-service-received = The service “{ $service }” has received your request and will look into it.
receipt-service-received-due = The service “{ $service }” has received your request and will look into it: it plans to deal with it by <strong class="due">{ $due }</strong> (this deadline is paused while it waits for more information from you).
receipt-email-sent = A confirmation e-mail has just been sent to <strong>{ $email }</strong>, with this link. You will be told by e-mail when the service writes to you or changes the status of the request.
receipt-no-email = You did not give an e-mail address: come back to this link to see the progress and the service's messages.
receipt-question = If the service needs more details, its question will appear on this page and you will be able to answer it.
track-request = Request
track-procedure = Service
track-status = Status
track-service = Department
track-filed-on = Filed on
track-files = Attachments
track-your-answers = Your answers
track-anonymisation = Your request is closed. Your personal data will be erased on { $day }; only information not linked to you (service, commune, dates, status) will be kept for statistics.
track-my-data = Download my data
track-my-data-hint = (printable page, or JSON file)
track-waiting = The service is waiting for your answer
track-write = Write to the service
track-your-reply = Your answer
track-your-message = Your message
track-reply-hint = Answer the question above. Your answer is added to the request and the service is told.
track-message-hint = Add a detail that helps the service. Your message is added to the request.
track-send-reply = Send my answer
track-not-fixed-title = The problem is not fixed?
track-not-fixed-label = Explain what is wrong
track-not-fixed-send = The problem is not fixed
track-history = History
status-received = Received
status-in-progress = In progress
status-waiting = Waiting for your answer
status-resolved = Done
status-rejected = Refused
date-time = { $date } at { $hour }:{ $minute }
history-submitted = Request filed and passed on to the service “{ $service }”
history-closed-no-reply = Request closed without an answer from you: { $text }
history-status = Status: { $from } → { $to }
history-message = Message from the service: { $text }
history-reminded = Reminder: { $text }
history-public-note = Public note from the service: { $text }
history-renewed = New tracking link sent to your e-mail address (the old one no longer works)
history-reply = Your answer: { $text }
history-transferred = Request passed on to the service “{ $service }”
history-reopened = You reported that the problem is not fixed: { $text }

## Look-up by reference
lookup-title = Track a request
lookup-intro = Enter your request's reference to know its status. To see its details, use the private link you received when filing. Lost it? <a href="/suivi/retrouver">Get a new link by e-mail</a>.
lookup-label = Request reference
lookup-hint = For example: GU-7K4M-2Q9P
lookup-submit = See the status
lookup-result = Request <strong class="ref">{ $reference }</strong>: <strong>{ $status }</strong> (updated on { $date }).
lookup-unknown = No request has the reference { $reference }. Check it on your acknowledgement of receipt.

## Lost link
recover-title = Find my requests
recover-sent = If requests were filed with the address <strong>{ $email }</strong> in the last twelve months, a new tracking link for each has just been sent to it. The old links of these requests no longer work.
recover-nothing = Nothing received within a few minutes? Check your spam folder and the address you typed, or call the service with your request's reference.
recover-other = Try another address
recover-by-reference = Track a request with its reference
recover-intro = Lost the tracking link you received when filing? Enter the e-mail address given in your request: each request filed with this address in the last twelve months will get a new link, and the old one will stop working.
recover-label = Your e-mail address
recover-submit = Get a new link
recover-know-reference = Know your request's reference? <a href="/suivi">See its status</a>.

## Portal
portal-title = Online services
portal-heading = Your services with { $territory }
portal-intro = File a request without creating an account: you get a reference and a private link to follow it.
portal-search-label = Search for a service
portal-search = Search
portal-your-commune = Your commune
portal-commune-label = Postcode or name of your commune
portal-commune-search = Find my commune
results-count = { $count ->
    [one] { $count } service for “{ $query }”
   *[other] { $count } services for “{ $query }”
}
results-none = No service matches: try another word, or browse all services.
results-all = See all services
procedure-here = done on this site
procedure-elsewhere = done on another site

## Validation: communes and postcodes
invalid-commune-unknown = The commune “{ $commune }” is not part of the territory: choose a commune from the list.
invalid-commune-not-offered = This service is not offered in { $commune }: it is offered only in { $offered }. Choose one of these communes, or see your commune's page to find the right service.
invalid-commune-missing = Say which commune this is about: this service is offered only in { $offered }.
invalid-postcode-unknown = The postcode { $postcode } is not that of any commune of the territory: check it (that of { $commune } is { $postcodes }).
invalid-postcode-other = { $commune } does not have the postcode { $postcode }. This postcode is that of: { $communes }. Choose your commune among them, or correct the postcode.
invalid-repeated = This field was sent several times: reload the page and give a single answer.
portal-all-communes = All communes

## A commune's page and the commune finder
commune-contact = Contact the town hall
commune-address = Address: { $value }
commune-phone = Phone: { $value }
commune-email = E-mail: { $value }
commune-hours = Opening hours: { $value }
commune-website = Website:
commune-search-label = Search for a service in { $name }
commune-news = News
commune-no-news = No news at the moment.
commune-news-date = On { $date }
commune-news-feed = Subscribe to the news (Atom feed)
commune-embed-title = Add these services to the commune's website
commune-embed-link = A link to this page:
commune-embed-frame = Or this page in a frame (the forms open with the commune already filled in):
commune-embed-none = The frame shows only on the sites the territory allows for this commune; none is allowed yet: ask Guichet's administrator to add the address of the town hall's site.
commune-embed-allowed = Sites allowed to show this frame: { $origins }.
site-picture-alt = Coat of arms or picture of the commune
site-mayor = Mayor: { $name }
site-hours = Town hall opening hours
site-open-now = Open now
site-closed = Closed
site-open-hint = (according to the usual hours; public holidays and exceptional closures are not taken into account)
site-contacts = Contacts
site-contact-line = { $label }: { $value }
site-links = Useful links
day-1 = Monday
day-2 = Tuesday
day-3 = Wednesday
day-4 = Thursday
day-5 = Friday
day-6 = Saturday
day-7 = Sunday
feed-title = News from { $commune }
feed-author = Town hall of { $commune }
error-no-picture = This commune has no picture.
error-no-feed = This commune is not part of the territory: there is no news to follow here.
finder-title = Find my commune
finder-hint = For example: 47200 or Marmande
finder-submit = Search
finder-all = All services of { $territory }
finder-none = No commune of the territory matches “{ $query }”. Check the postcode or the name, or choose from the list of communes.
finder-several = { $count } communes match “{ $query }”: choose yours.
error-unknown-commune = This commune is not part of the territory. Go back to the home page to choose yours.

## My data
my-data-title = My data – request { $reference }
my-data-heading = My data – request
my-data-intro = Here is everything the service keeps about your request, as of { $date }. Print this page or save it (your browser's “Print” menu, then “Save as PDF”).
my-data-download = Download this data as a file (JSON)
my-data-back = Back to following the request
my-data-request = The request
my-data-reference = Reference
my-data-version = version
my-data-commune = Commune
my-data-no-commune = not given
my-data-updated = Last updated
my-data-no-labels = The form's labels are no longer available: your answers are shown as recorded below.
my-data-no-files = No attachments.
my-data-messages = Messages exchanged
my-data-no-messages = No messages.
my-data-raw = Your answers as recorded
my-data-from-service = The service
my-data-from-you = You

## Legal notice and site map (the territory's own texts stay as written)
legal-title = Legal notice
legal-publisher-title = Publisher of the site
legal-publisher = Publisher
legal-address = Address
legal-email = E-mail
legal-phone = Phone
legal-director = Director of publication
legal-host-title = Host
legal-host = Host
legal-software-title = Software
legal-software = This site runs on Guichet, free software published under the AGPL-3.0 licence or later.
legal-data-title = Personal data and accessibility
legal-data = How your data is processed and your rights are described on the <a href="/donnees-personnelles">Personal data</a> page. The site's accessibility is described in the <a href="/accessibilite">accessibility statement</a>.
legal-cookies = This site sets no audience-measurement or advertising cookie.
map-title = Site map
map-home = Home: all services
map-recover = Find my requests (lost tracking link)
map-communes = The communes
map-external = Services of other administrations
map-open-data = Open data
map-statistics = Request statistics (charts and tables)
map-csv = Number of requests by month, service, commune and status (CSV; numbers below 5 are not published)

## Errors a citizen's post or address can meet (plain text)
upload-internal = The file could not be saved on our side: try again later.
upload-cut = The file "{ $name }" could not be read in full ({ $detail }): send it again.
upload-too-large = The file "{ $name }" is too large: { $max } at most.
upload-empty = The file "{ $name }" is empty: choose another one.
upload-type = The file "{ $name }" is not in an accepted format: send a { $formats } file.
upload-virus = The file "{ $name }" was refused by the antivirus: { $why }
upload-unreadable = The form you sent cannot be read: reload the page and try again.
upload-cut-form = The form could not be read in full: send it again.
upload-gone = The file "{ $name }" is no longer available: choose it again.
upload-too-many = Too many files: { $max } at most. Choose fewer.
upload-not-attached = This file is not attached to this request.
form-not-from-page = This form is sent from its page: reload it and try again.
form-unreadable = The form you sent cannot be read (badly encoded characters or a null character): reload the page and try again.
error-nul-in-address = The address you asked for holds a null character (%00): check the link.
error-cross-site = This action was refused: it was sent from another site. Open Guichet directly and start again.
error-host-header = The request must carry exactly one Host header, naming the site (for example Host: guichet.example.fr): fix the HTTP client that sends it.
error-expect-header = The request's Expect header asks for something other than "100-continue", the only expectation possible: remove it and send the request again.
lookup-invalid = "{ $reference }" is not a valid reference: it looks like GU-XXXX-XXXX.
recover-invalid = Enter the e-mail address you gave when filing your requests, for example firstname.lastname@example.org.
track-text-blank = Your message is empty: write it before sending.
track-text-too-long = Your message is longer than { $max } characters: shorten it.
track-text-invisible = Your message holds an invisible character (often from a copy-paste): type it again without that character.
track-reply-closed = This request is closed. If the problem is not fixed, use the button "The problem is not fixed".
track-not-resolved = Only a resolved request can be reported as not fixed.
reminder-waiting = The service is waiting for your answer to go on handling your request.
reminder-question = The service is waiting for your answer to its question: "{ $question }"
reminder-closed = If you still need this service, file a new request giving the reference { $reference }.
