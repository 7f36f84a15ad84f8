//! How a request reached Guichet. Rules see it, and staff see it on the request.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// The citizen filled the HTML form.
    Web,
    /// Another application posted to the JSON API.
    Api,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Api => "api",
        }
    }

    pub fn parse(input: &str) -> Result<Self, String> {
        match input {
            "web" => Ok(Channel::Web),
            "api" => Ok(Channel::Api),
            other => Err(format!("channel « {other} » is not one of web, api")),
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
