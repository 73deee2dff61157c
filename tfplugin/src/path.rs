//! Attribute paths (`disk[0].size_gb`), which tie diagnostics to configuration.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathStep {
    /// An object attribute or nested block type name.
    Attribute(String),
    /// A map key or map-nested block label.
    ElementKeyString(String),
    /// A list or tuple index.
    ElementKeyInt(i64),
}

/// A path from the root of a resource object to one of its values.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct AttributePath {
    steps: Vec<PathStep>,
}

impl AttributePath {
    /// The empty path (the whole object).
    pub fn root() -> AttributePath {
        AttributePath::default()
    }

    /// A path to a top-level attribute.
    pub fn attribute(name: impl Into<String>) -> AttributePath {
        AttributePath::root().attr(name)
    }

    /// This path extended by an attribute step.
    pub fn attr(mut self, name: impl Into<String>) -> AttributePath {
        self.steps.push(PathStep::Attribute(name.into()));
        self
    }

    /// This path extended by a map-key step.
    pub fn key(mut self, key: impl Into<String>) -> AttributePath {
        self.steps.push(PathStep::ElementKeyString(key.into()));
        self
    }

    /// This path extended by a list-index step.
    pub fn index(mut self, index: i64) -> AttributePath {
        self.steps.push(PathStep::ElementKeyInt(index));
        self
    }

    /// A copy of this path extended by `step`.
    pub fn child(&self, step: PathStep) -> AttributePath {
        let mut p = self.clone();
        p.steps.push(step);
        p
    }

    /// Appends a step in place.
    pub fn push(&mut self, step: PathStep) {
        self.steps.push(step);
    }

    /// The steps, root first.
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// True for the root path.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The path without its last step (the root stays the root).
    pub fn parent(&self) -> AttributePath {
        let mut p = self.clone();
        p.steps.pop();
        p
    }

    /// The name of the last attribute step, if the path ends in one.
    pub fn last_attribute(&self) -> Option<&str> {
        match self.steps.last() {
            Some(PathStep::Attribute(name)) => Some(name),
            _ => None,
        }
    }
}

impl FromIterator<PathStep> for AttributePath {
    fn from_iter<I: IntoIterator<Item = PathStep>>(iter: I) -> Self {
        AttributePath {
            steps: iter.into_iter().collect(),
        }
    }
}

impl fmt::Display for AttributePath {
    /// Renders Terraform-style: `disk[0].size_gb`, `tags["env"]`; the root renders as `(root)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("(root)");
        }
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attribute(name) if i == 0 => f.write_str(name)?,
                PathStep::Attribute(name) => write!(f, ".{name}")?,
                PathStep::ElementKeyString(key) => write!(f, "[{key:?}]")?,
                PathStep::ElementKeyInt(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_like_terraform() {
        let p = AttributePath::attribute("disk").index(0).attr("size_gb");
        assert_eq!(p.to_string(), "disk[0].size_gb");
        let p = AttributePath::attribute("tags").key("env");
        assert_eq!(p.to_string(), "tags[\"env\"]");
        assert_eq!(AttributePath::root().to_string(), "(root)");
    }

    #[test]
    fn parent_and_last_attribute() {
        let p = AttributePath::attribute("a").attr("b");
        assert_eq!(p.last_attribute(), Some("b"));
        assert_eq!(p.parent(), AttributePath::attribute("a"));
        assert_eq!(
            AttributePath::attribute("a").index(1).last_attribute(),
            None
        );
        assert!(AttributePath::root().parent().is_empty());
    }
}
