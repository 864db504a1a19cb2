//! What services need from IAM and STS — whether a role exists and whom it trusts, that it was
//! used — as one trait, [`Identity`], whose methods take no world: the lifecycle layer implements
//! it on a view of the accounts' IAM states (`lifecycle::identity`) and hands it to the operations
//! that need it (STS's AssumeRole). Lambda gets the facts about its execution role as a value the
//! lifecycle layer works out ([`RoleTrust`]), and so does CodeDeploy about its service role.
//! (Not a service: a port.)

/// A role as the services that assume it need to know it.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleFacts {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub max_session_duration: i64,
}

/// IAM's roles as the services that assume them see them, across accounts.
pub trait Identity {
    /// The role `name` of `account`.
    fn role(&self, account: &str, name: &str) -> Option<RoleFacts>;
    /// Whether the role (an ARN, or a name in `account`) exists and its trust policy lets
    /// `principal` perform `action`; the error says why not, in plain words.
    fn role_trusts(&self, account: &str, role: &str, principal: &str, action: &str) -> Result<(), String>;
    /// Records that the role `name` of `account` was assumed at `at` (epoch seconds) in `region`
    /// (IAM's `RoleLastUsed`).
    fn role_used(&mut self, account: &str, region: &str, name: &str, at: f64);
}

/// Whether a role named in a request trusts the service that is to assume it, as [`Identity::role_trusts`]
/// answers (the error says why not): the fact Lambda checks an execution role against.
pub type RoleTrust = Result<(), String>;

/// `arn:aws:iam::<acct>:role/<path><name>` → (account, name).
pub fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (acct, resource) = rest.split_once(':')?;
    let path_name = resource.strip_prefix("role/")?;
    let name = path_name.rsplit('/').next()?;
    if acct.is_empty() || name.is_empty() {
        return None;
    }
    Some((acct.to_owned(), name.to_owned()))
}

/// IAM's message for a policy document that is not JSON.
pub const POLICY_SYNTAX: &str = "Syntax errors in policy.";

/// The size IAM counts against its quotas: characters other than whitespace.
pub fn policy_size(doc: &str) -> usize {
    doc.chars().filter(|c| !c.is_whitespace()).count()
}
