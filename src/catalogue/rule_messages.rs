//! Rhai's errors told in French to the form designers who write rules in the builder: what
//! is wrong and what to do, in words of the rule (`data`, a text, a list), not of the
//! engine. Rhai's own English text stays beside it as a detail (it is what `guichet check`
//! prints and what a request's fallback records), so nothing it said is lost.

use rhai::{EvalAltResult, LexError, ParseErrorType};

use super::rule_limits::{MAX_EXPR_DEPTH, MAX_FUNCTIONS, MAX_OPERATIONS};

/// Why a rule does not compile, as a clause that follows "La règle ne se compile pas, ligne
/// L, colonne C : ". `source` and the position help tell a brace left open, which Rhai
/// reports as a missing `;` at the end.
pub fn parse_error(err: &ParseErrorType, source: &str, line: usize, col: usize) -> String {
    use ParseErrorType as P;
    let left_open = || {
        at_end(source, line, col)
            .then(|| left_open(source))
            .flatten()
    };
    match err {
        P::MissingToken(token, _) | P::MissingSymbol(token)
            if token == ";" && left_open().is_some() =>
        {
            unclosed(left_open().unwrap_or('{'))
        }
        P::UnexpectedEOF => match left_open() {
            Some(open) => unclosed(open),
            None => "la règle s'arrête au milieu d'une instruction : complétez-la.".into(),
        },
        P::MissingToken(token, _) => match token.as_str() {
            ";" => "il manque un point-virgule « ; » entre deux instructions (souvent à la fin de la ligne précédente).".into(),
            "}" => "il manque une accolade fermante « } » : chaque « { » doit être refermée.".into(),
            ")" => "il manque une parenthèse fermante « ) » : chaque « ( » doit être refermée.".into(),
            "]" => "il manque un crochet fermant « ] » : chaque « [ » doit être refermé.".into(),
            "{" => "il manque une accolade ouvrante « { » : après la condition d'un if, d'un else ou d'une boucle, le bloc s'écrit entre accolades.".into(),
            "(" => "il manque une parenthèse ouvrante « ( ».".into(),
            "," => "il manque une virgule « , » entre deux éléments d'une liste [ … ] ou d'une table #{ … }.".into(),
            ":" => "il manque deux-points « : » entre le nom et la valeur d'un élément de table (#{ queue: \"…\" }).".into(),
            other => format!("il manque « {other} » à cet endroit."),
        },
        P::MissingSymbol(_) => {
            "il manque un symbole à cet endroit (une virgule, un opérateur, une accolade…).".into()
        }
        P::BadInput(lex) => lex_error(lex),
        P::UnknownOperator(op) => format!("l'opérateur « {op} » n'existe pas en Rhai."),
        P::VariableUndefined(name) => format!(
            "« {name} » n'existe pas : une règle lit data (les réponses, par exemple data.motif), form, commune et channel. Vérifiez l'orthographe, ou déclarez la variable avant avec let."
        ),
        P::Reserved(word) => format!(
            "« {word} » est un mot réservé de Rhai, non disponible dans les règles : choisissez un autre nom."
        ),
        P::ForbiddenVariable(name) => {
            format!("« {name} » ne peut pas servir de nom de variable : choisissez-en un autre.")
        }
        P::MismatchedType(expected, actual) => format!(
            "il faut ici {}, pas {}.",
            type_fr(expected),
            type_fr(actual)
        ),
        P::ExprExpected(_) => {
            "une valeur ou un calcul est attendu ici : il manque quelque chose.".into()
        }
        P::PropertyExpected => {
            "un nom de propriété est attendu après le point (par exemple data.motif).".into()
        }
        P::VariableExpected => {
            "un nom de variable est attendu après let, const ou for (ce nom est peut-être un mot réservé).".into()
        }
        P::DuplicatedProperty(name) => format!(
            "« {name} » apparaît deux fois dans la même table #{{ … }} : gardez-en un."
        ),
        P::DuplicatedVariable(name) => format!("la variable « {name} » est déclarée deux fois."),
        P::VariableExists(name) => format!("la variable « {name} » existe déjà."),
        P::AssignmentToConstant(name) if name.is_empty() => {
            "cette valeur ne peut pas être modifiée.".into()
        }
        P::AssignmentToConstant(name) => format!(
            "« {name} » ne peut pas être modifié : data, form, commune et channel se lisent seulement."
        ),
        P::AssignmentToInvalidLHS(_) => {
            "on ne peut rien affecter à cette expression : pour comparer, écrivez « == ».".into()
        }
        P::WrongFnDefinition => {
            "une fonction se définit au premier niveau de la règle, pas dans un bloc ni dans une autre fonction.".into()
        }
        P::FnMissingName => "il manque le nom de la fonction après fn.".into(),
        P::FnMissingParams(name) => {
            format!("il manque les paramètres de la fonction « {name} » : fn {name}(…) {{ … }}.")
        }
        P::FnMissingBody(name) => {
            format!("il manque le corps de la fonction « {name} », entre accolades.")
        }
        P::FnDuplicatedParam(name, param) => {
            format!("la fonction « {name} » a deux paramètres nommés « {param} ».")
        }
        P::FnDuplicatedDefinition(name, _) => {
            format!("la fonction « {name} » est définie deux fois avec les mêmes paramètres.")
        }
        P::WrongDocComment => {
            "un commentaire de documentation (///) doit précéder une fonction : écrivez // pour un commentaire ordinaire.".into()
        }
        P::ExprTooDeep => format!(
            "une expression est trop imbriquée (plus de {MAX_EXPR_DEPTH} niveaux) : découpez-la en étapes avec let."
        ),
        P::TooManyFunctions => {
            format!("la règle définit plus de {MAX_FUNCTIONS} fonctions : regroupez-les.")
        }
        P::LiteralTooLarge(..) => "une valeur écrite dans la règle est trop longue.".into(),
        P::LoopBreak => {
            "break et continue s'emploient seulement dans une boucle (loop, while, for).".into()
        }
        P::WrongSwitchDefaultCase => "dans un switch, le cas _ doit venir en dernier.".into(),
        P::WrongSwitchIntegerCase | P::WrongSwitchCaseCondition => {
            "un cas de ce switch est mal écrit.".into()
        }
        _ => "la syntaxe n'est pas correcte à cet endroit.".into(),
    }
}

fn unclosed(open: char) -> String {
    let (what, close) = match open {
        '(' => (
            "une parenthèse « ( » ouverte plus haut n'est pas refermée",
            ')',
        ),
        '[' => ("un crochet « [ » ouvert plus haut n'est pas refermé", ']'),
        _ => (
            "une accolade « { » ouverte plus haut n'est pas refermée",
            '}',
        ),
    };
    format!("{what} : ajoutez « {close} » (Rhai le signale comme un « ; » manquant à la fin).")
}

fn lex_error(err: &LexError) -> String {
    match err {
        LexError::UnterminatedString => {
            "un texte entre guillemets n'est pas refermé : ajoutez le « \" » final, sur la même ligne.".into()
        }
        LexError::UnexpectedInput(text) => {
            format!("« {text} » n'est pas attendu ici : il manque peut-être une valeur avant.")
        }
        LexError::MalformedNumber(text) => format!(
            "« {text} » n'est pas un nombre valide (les décimales s'écrivent avec un point : 2.5)."
        ),
        LexError::MalformedEscapeSequence(text) => format!(
            "« {text} » n'est pas permis dans un texte : une barre oblique inverse s'écrit \\\\."
        ),
        LexError::MalformedChar(text) => format!("« {text} » n'est pas un caractère valide."),
        LexError::MalformedIdentifier(text) => format!(
            "« {text} » n'est pas un nom valide : lettres sans accent, chiffres et _, sans chiffre au début."
        ),
        LexError::ImproperSymbol(symbol, _) if symbol == "=" => {
            "« = » donne une valeur à une variable : pour comparer, écrivez « == ».".into()
        }
        LexError::ImproperSymbol(symbol, _) if symbol == "eval" => {
            "eval n'est pas disponible dans les règles.".into()
        }
        LexError::ImproperSymbol(symbol, _) => format!("« {symbol} » n'est pas permis ici."),
        LexError::StringTooLong(_) => "un texte ou un nom de la règle est trop long.".into(),
        _ => "la règle contient un caractère ou un mot incompris à cet endroit.".into(),
    }
}

/// Why a rule failed while running, as a clause that follows "La règle a échoué, ligne L,
/// colonne C : ".
pub fn runtime_error(err: &EvalAltResult) -> String {
    use EvalAltResult as E;
    match err {
        E::ErrorTooManyOperations(_) => format!(
            "elle a dépassé {} opérations (une boucle sans fin ?) et a été arrêtée.",
            thousands(MAX_OPERATIONS)
        ),
        E::ErrorStackOverflow(_) => {
            "elle s'appelle elle-même trop profondément (une récursion sans fin ?) et a été arrêtée.".into()
        }
        E::ErrorDataTooLarge(..) => {
            "elle a construit un texte, une liste ou une table trop grands et a été arrêtée.".into()
        }
        E::ErrorTooManyVariables(_) => "elle déclare trop de variables.".into(),
        E::ErrorFunctionNotFound(signature, _) => missing_function(signature),
        E::ErrorMismatchDataType(expected, actual, _)
        | E::ErrorMismatchOutputType(expected, actual, _) => format!(
            "elle utilise {} là où il faut {}.",
            type_fr(actual),
            type_fr(expected)
        ),
        E::ErrorArrayBounds(len, index, _) => format!(
            "elle lit l'élément {index} d'une liste qui en compte {len} (le premier est l'élément 0)."
        ),
        E::ErrorStringBounds(len, index, _) => format!(
            "elle lit la position {index} d'un texte de {len} caractère{} (la première est 0).",
            if *len > 1 { "s" } else { "" }
        ),
        E::ErrorArithmetic(message, _) if message.starts_with("Division by zero") => {
            "elle divise par zéro.".into()
        }
        E::ErrorArithmetic(..) => {
            "un calcul a échoué (un texte qui n'est pas un nombre, un nombre trop grand ?).".into()
        }
        E::ErrorRuntime(value, _) => match value.clone().into_string() {
            Ok(text) if text.starts_with("sleep is not available") => {
                "sleep n'est pas disponible dans les règles.".into()
            }
            Ok(text) => format!("elle a signalé une erreur (throw) : « {text} »."),
            Err(_) => "elle a signalé une erreur (throw).".into(),
        },
        E::ErrorDotExpr(..) | E::ErrorPropertyNotFound(..) => {
            "elle lit une propriété que cette valeur n'a pas (une réponse absente ? vérifiez le nom du champ après data.).".into()
        }
        E::ErrorVariableNotFound(name, _) => format!("la variable « {name} » n'existe pas."),
        E::ErrorIndexingType(kind, _) => {
            format!("{} ne se lit pas avec [ … ].", capitalised(&type_fr(kind)))
        }
        E::ErrorIndexNotFound(..) => "elle lit un élément qui n'existe pas.".into(),
        E::ErrorFor(_) => {
            "for parcourt seulement une liste, un texte ou un intervalle (1..5).".into()
        }
        E::ErrorAssignmentToConstant(name, _) => format!(
            "« {name} » ne peut pas être modifié : data, form, commune et channel se lisent seulement."
        ),
        E::ErrorInFunctionCall(name, _, inner, _) => {
            format!("dans la fonction « {name} », {}", runtime_error(inner))
        }
        _ => "elle s'est arrêtée sur une erreur.".into(),
    }
}

/// "foo (i64, ())": an unknown function, or a known one given values it does not take.
fn missing_function(signature: &str) -> String {
    let (name, args) = signature
        .split_once(" (")
        .map_or((signature, ""), |(n, a)| {
            (n, a.strip_suffix(')').unwrap_or(a))
        });
    let args: Vec<String> = args
        .split(", ")
        .filter(|a| !a.is_empty())
        .map(type_fr)
        .collect();
    let absent = args.iter().any(|a| a.starts_with("rien"));
    let hint = if absent {
        " Une réponse absente vaut « rien » : vérifiez le nom du champ, ou testez-la avant (if data.champ != () { … })."
    } else {
        ""
    };
    let is_operator = name
        .chars()
        .next()
        .is_some_and(|c| !c.is_alphanumeric() && c != '_');
    if is_operator {
        format!(
            "l'opération « {name} » n'est pas possible entre {} : convertissez d'abord (parse_int, parse_float, to_string).{hint}",
            args.join(" et ")
        )
    } else if args.is_empty() {
        format!("la fonction « {name} » n'existe pas : vérifiez son nom.")
    } else {
        format!(
            "la fonction « {name} » n'existe pas, ou ne s'applique pas à {} : vérifiez son nom et le type des valeurs.{hint}",
            args.join(", ")
        )
    }
}

/// A Rhai type name, or a parser's "a number", as a designer reads it.
pub fn type_fr(name: &str) -> String {
    let name = name.trim();
    let said = match name {
        "i64" | "i32" | "int" | "a number" | "integer" => "un nombre entier",
        "f64" | "f32" | "float" | "a floating-point number" => "un nombre décimal",
        "bool" | "a boolean" => "un booléen (true ou false)",
        "a boolean expression" => "une condition (vraie ou fausse)",
        "string"
        | "&str"
        | "ImmutableString"
        | "String"
        | "a string"
        | "&str | ImmutableString | String" => "un texte",
        "char" | "a character" => "un caractère",
        "()" | "unit" => "rien (une valeur absente)",
        "array" | "an array" | "Array" => "une liste",
        "map" | "an object map" | "Map" => "une table #{ … }",
        "an iterable value" => "une liste, un texte ou un intervalle",
        "timestamp" => "un instant",
        other => return format!("une valeur de type {other}"),
    };
    said.to_owned()
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// 100000 → "100 000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(digit);
    }
    out
}

/// Whether 1-based (`line`, `col`) is at the end of `source`, give or take whitespace.
fn at_end(source: &str, line: usize, col: usize) -> bool {
    let mut lines = source.split('\n').skip(line.saturating_sub(1));
    let Some(current) = lines.next() else {
        return true;
    };
    let rest: String = current.chars().skip(col.saturating_sub(1)).collect();
    rest.trim().is_empty() && lines.all(|l| l.trim().is_empty())
}

/// The innermost bracket left open in `source`, skipping strings and comments.
fn left_open(source: &str) -> Option<char> {
    let mut open = Vec::new();
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '`' | '\'' => {
                while let Some(inner) = chars.next() {
                    if inner == '\\' {
                        chars.next();
                    } else if inner == c {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for inner in chars.by_ref() {
                    if inner == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut previous = ' ';
                for inner in chars.by_ref() {
                    if previous == '*' && inner == '/' {
                        break;
                    }
                    previous = inner;
                }
            }
            '(' | '[' | '{' => open.push(c),
            ')' | ']' | '}' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.pop()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_left_open_are_found_past_strings_and_comments() {
        assert_eq!(left_open("if x { \"}\" // }\n"), Some('{'));
        assert_eq!(left_open("#{ a: [1, 2] }"), None);
        assert_eq!(left_open("f(\"(\" /* ) */"), Some('('));
        assert!(at_end("a\nb  \n\n", 2, 2));
        assert!(!at_end("a\nb\n", 1, 1));
    }

    #[test]
    fn types_and_numbers_read_in_french() {
        assert_eq!(type_fr("&str | ImmutableString | String"), "un texte");
        assert_eq!(type_fr("()"), "rien (une valeur absente)");
        assert_eq!(thousands(100_000), "100 000");
        assert_eq!(thousands(999), "999");
        assert!(
            missing_function("- (&str | ImmutableString | String, i64)").starts_with(
                "l'opération « - » n'est pas possible entre un texte et un nombre entier"
            )
        );
        assert!(missing_function("len (())").contains("Une réponse absente"));
    }
}
