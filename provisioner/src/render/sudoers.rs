//! The operator's sudo drop-in.

/// Path of the drop-in (no dot in the name: sudo ignores files with one).
pub const PATH: &str = "/etc/sudoers.d/90-mesos-provisioner";

/// Content granting the operator password-less sudo, also without a terminal: older EL
/// images set `Defaults requiretty`, and the provisioner's commands run without a PTY.
pub fn render(user: &str) -> String {
    format!(
        "{}\nDefaults:{user} !requiretty\n{user} ALL=(ALL) NOPASSWD: ALL\n",
        super::MANAGED
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn grants_nopasswd_to_the_operator() {
        let text = super::render("ops");
        assert!(text.ends_with("Defaults:ops !requiretty\nops ALL=(ALL) NOPASSWD: ALL\n"));
        assert!(!super::PATH.rsplit('/').next().unwrap().contains('.'));
    }
}
