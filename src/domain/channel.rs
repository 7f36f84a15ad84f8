//! How a request reached Guichet. Rules see it, and staff see it on the request.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The citizen filled the HTML form.
    Web,
    /// Another application posted to the JSON API.
    Api,
    /// An élu filed it after a phone call.
    Phone,
    /// An élu filed it after meeting the citizen (office hours, the market…).
    InPerson,
    /// An élu filed it from a letter.
    Mail,
    /// An élu filed it during a public event (a neighbourhood meeting…).
    Event,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::Web,
        Channel::Api,
        Channel::Phone,
        Channel::InPerson,
        Channel::Mail,
        Channel::Event,
    ];

    /// The channels an élu records when filing for a citizen.
    pub const ON_BEHALF: [Channel; 4] = [
        Channel::Phone,
        Channel::InPerson,
        Channel::Mail,
        Channel::Event,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
            Channel::Phone => "phone",
            Channel::InPerson => "in_person",
            Channel::Mail => "mail",
            Channel::Event => "event",
        }
    }

    pub fn parse(input: &str) -> Result<Self, String> {
        Channel::ALL
            .into_iter()
            .find(|c| c.as_str() == input)
            .ok_or_else(|| {
                format!("channel « {input} » is not one of web, api, phone, in_person, mail, event")
            })
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Channel::Web => "formulaire en ligne",
            Channel::Api => "application partenaire",
            Channel::Phone => "téléphone",
            Channel::InPerson => "en personne",
            Channel::Mail => "courrier",
            Channel::Event => "réunion ou événement public",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: width and alignment (`{:<9}`) apply, as for a `str`.
        f.pad(self.as_str())
    }
}
