//! What `cloudcontrol_address_list` and `cloudcontrol_port_list` share: the entry count rule,
//! and their create, read, update and delete, written once over [`ListKind`]. Each list
//! resource's own file has its schema, model, validation and API calls.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use async_trait::async_trait;
use cloudcontrol::{Client, WaitOptions};
use tfplugin::model::ModelError;
use tfplugin::provider::{
    ApplyResponse, CreateRequest, DeleteRequest, OperationContext, ReadRequest, ReadResponse,
    Resource, UpdateRequest,
};
use tfplugin::schema::Schema;
use tfplugin::{AttributePath, Diagnostics, Value};

use crate::adopt::{differences, Found, MarkerPlace};
use crate::marker::Journaled;
use crate::provider::ProviderData;
use crate::rules::MAX_LIST_ENTRIES;
use crate::support::{
    api_error, record_create, record_delete, record_read, refuse, state_id, wait,
};

const TIMEOUT: Duration = Duration::from_secs(5 * 60);

/// One kind of named list: its Terraform side (schema, model, checks) and its API calls.
#[async_trait]
pub trait ListKind: Send + Sync + 'static {
    /// The list as the API reports it.
    type Api: Send + Sync;
    /// The resource's typed model.
    type Model: Send + Sync;
    /// What an interrupted create's list must hold to be taken over.
    type Content: PartialEq;

    /// The resource type (`cloudcontrol_address_list`).
    const TYPE_NAME: &'static str;
    /// The kind in words (`IP address list`).
    const KIND: &'static str;

    /// The resource's schema.
    fn schema() -> Schema;
    /// The checks of a configuration beyond the schema's.
    fn validate(config: &Value, diags: &mut Diagnostics);
    /// The journal entry of a create of list `name`.
    fn journal_entry(name: &str) -> String;

    /// Reads a plan or state that has every required attribute.
    fn read(value: &Value) -> Result<Self::Model, ModelError>;
    /// The model of `list` in `network_domain_id`, `prior` saying how unset collections were.
    fn of_list(list: &Self::Api, network_domain_id: &str, prior: &Value) -> Self::Model;
    /// `model` written over `base` (which keeps the timeouts).
    fn to_state(model: &Self::Model, base: &Value) -> Value;
    /// What the model says the list holds.
    fn content(model: &Self::Model) -> Self::Content;
    /// The model's network domain and name.
    fn identity(model: &Self::Model) -> (&str, &str);
    /// The id of the list the model describes, once created.
    fn model_id(model: &Self::Model) -> Option<&str>;
    /// The id and name of an API list.
    fn api_identity(list: &Self::Api) -> (&str, &str);

    /// The list named `name` in the domain.
    async fn find(
        client: &Client,
        domain: &str,
        name: &str,
    ) -> cloudcontrol::Result<Option<Self::Api>>;
    /// Creates the list `model` describes.
    async fn create(
        client: &Client,
        model: &Self::Model,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Self::Api>;
    /// One list.
    async fn get(client: &Client, id: &str) -> cloudcontrol::Result<Option<Self::Api>>;
    /// The list once settled.
    async fn settled(
        client: &Client,
        id: &str,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Option<Self::Api>>;
    /// The domain holding list `id`.
    async fn domain_of(client: &Client, id: &str) -> cloudcontrol::Result<Option<String>>;
    /// Gives list `id` the content of `model`.
    async fn edit(
        client: &Client,
        id: &str,
        model: &Self::Model,
        wait: &WaitOptions,
    ) -> cloudcontrol::Result<Self::Api>;
    /// Deletes list `id`.
    async fn delete(client: &Client, id: &str, wait: &WaitOptions) -> cloudcontrol::Result<()>;
}

/// The resource of one [`ListKind`].
pub struct ListResource<K>(PhantomData<K>);

impl<K> ListResource<K> {
    /// The resource.
    pub const fn new() -> Self {
        ListResource(PhantomData)
    }
}

impl<K> Default for ListResource<K> {
    fn default() -> Self {
        Self::new()
    }
}

/// A list holds at least one entry (`entries` blocks) or included list (`children`), and at
/// most [`MAX_LIST_ENTRIES`] entries. Unknown values are not counted against the first rule.
pub fn check_entry_count(config: &Value, entries: &str, children: &str, diags: &mut Diagnostics) {
    let (blocks, included) = (config.attr(entries), config.attr(children));
    let count = blocks.elements().len();
    if count > MAX_LIST_ENTRIES {
        diags.error_at(
            AttributePath::attribute(entries),
            "Too many entries",
            format!("{count} {entries} blocks; a list holds at most {MAX_LIST_ENTRIES}"),
        );
    }
    let unknown = !blocks.is_known() || !included.is_known();
    if count == 0 && included.elements().is_empty() && !unknown {
        diags.error_at(
            AttributePath::attribute(entries),
            "Empty list",
            format!("a list needs at least one {entries} block or one of {children}"),
        );
    }
}

/// A list found under the name of the one being created: taken over (waiting for it with
/// `settled`) when the domain's journal says an interrupted create of this provider left it
/// (`marked`) and its content is the planned one (`differs` false); otherwise the create is
/// refused with the import command, and `None` is returned.
async fn take_over_or_refuse<K: ListKind>(
    ctx: &OperationContext<'_, ProviderData>,
    (domain, entry, id, name): (&str, &str, &str, &str),
    (marked, differs): (bool, bool),
    settled: impl Future<Output = cloudcontrol::Result<Option<K::Api>>>,
    response: &mut ApplyResponse,
) -> Option<cloudcontrol::Result<K::Api>> {
    let verdict = Found {
        kind: K::KIND,
        resource_type: K::TYPE_NAME,
        identity: format!("named {name:?} in network domain {domain}"),
        id,
        import_id: id.to_owned(),
        marked,
        marker_place: MarkerPlace::Journal,
        differences: differences([(
            "entries",
            "other entries".to_owned(),
            differs.then(|| "the configured ones".to_owned()),
        )]),
    }
    .verdict();
    if let Err(refusal) = verdict {
        refuse(response, refusal);
        return None;
    }
    let markers = &ctx.data.markers;
    Some(
        markers
            .take_over_journaled(domain, entry, K::KIND, id, settled)
            .await,
    )
}

#[async_trait]
impl<K: ListKind> Resource<ProviderData> for ListResource<K> {
    fn type_name(&self) -> &str {
        K::TYPE_NAME
    }

    fn schema(&self) -> Schema {
        K::schema()
    }

    async fn validate(&self, config: &Value) -> Diagnostics {
        let mut diags = Diagnostics::new();
        K::validate(config, &mut diags);
        diags
    }

    async fn create(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: CreateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = match K::read(&request.planned) {
            Ok(model) => model,
            Err(e) => {
                return refuse(
                    response,
                    e.to_diagnostic(&format!("Invalid {} plan", K::KIND)),
                )
            }
        };
        let client = &ctx.data.client;
        let options = wait(ctx, TIMEOUT);
        let (domain, name) = K::identity(&planned);
        let entry = K::journal_entry(name);
        let journaled = ctx
            .data
            .markers
            .journaled_create(
                client,
                domain,
                &entry,
                K::find(client, domain, name),
                || K::create(client, &planned, &options),
            )
            .await;
        let result = match journaled {
            Err(e) => Err(e),
            Ok(Journaled::Created(result)) => result,
            Ok(Journaled::Found { asset, marked }) => {
                let found = K::of_list(&asset, domain, &request.planned);
                let differs = K::content(&found) != K::content(&planned);
                let (id, found_name) = K::api_identity(&asset);
                let taken = take_over_or_refuse::<K>(
                    ctx,
                    (domain, &entry, id, found_name),
                    (marked, differs),
                    K::settled(client, id, &options),
                    response,
                )
                .await;
                match taken {
                    Some(result) => result,
                    None => return,
                }
            }
        };
        record_create(
            &format!("create the {}", K::KIND),
            result,
            |list| {
                K::to_state(
                    &K::of_list(list, domain, &request.planned),
                    &request.planned,
                )
            },
            response,
        );
    }

    async fn read(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: ReadRequest,
        response: &mut ReadResponse,
    ) {
        let Some(id) = state_id(&request.state) else {
            return;
        };
        let client = &ctx.data.client;
        // An imported state has only the id, and a list's document does not name its domain.
        let domain = match request.state.attr("network_domain_id").as_str() {
            Some(domain) => Some(domain.to_owned()),
            None => match K::domain_of(client, &id).await {
                Ok(domain) => domain,
                Err(e) => {
                    let what = format!("find the {}'s network domain", K::KIND);
                    response.diagnostics.push(api_error(&what, &e));
                    return;
                }
            },
        };
        let result = match &domain {
            Some(_) => K::get(client, &id).await,
            None => Ok(None),
        };
        let domain = domain.unwrap_or_default();
        if let Ok(Some(list)) = &result {
            let entry = K::journal_entry(K::api_identity(list).1);
            ctx.data
                .markers
                .forget_recorded(client, &domain, &entry)
                .await;
        }
        record_read(
            &format!("read the {}", K::KIND),
            result,
            |list| K::to_state(&K::of_list(list, &domain, &request.state), &request.state),
            response,
        );
    }

    async fn update(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: UpdateRequest,
        response: &mut ApplyResponse,
    ) {
        let planned = match K::read(&request.planned) {
            Ok(model) => model,
            Err(e) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(e.to_diagnostic(&format!("Invalid {} plan", K::KIND)));
                return;
            }
        };
        let id = K::model_id(&planned).unwrap_or_default().to_owned();
        let domain = K::identity(&planned).0.to_owned();
        match K::edit(&ctx.data.client, &id, &planned, &wait(ctx, TIMEOUT)).await {
            Ok(list) => {
                response.state = K::to_state(
                    &K::of_list(&list, &domain, &request.planned),
                    &request.planned,
                )
            }
            Err(e) => {
                response.state = request.prior.clone();
                response
                    .diagnostics
                    .push(api_error(&format!("update the {}", K::KIND), &e));
            }
        }
    }

    async fn delete(
        &self,
        ctx: &OperationContext<'_, ProviderData>,
        request: DeleteRequest,
    ) -> Diagnostics {
        let Some(id) = state_id(&request.prior) else {
            return Diagnostics::new();
        };
        let result = K::delete(&ctx.data.client, &id, &wait(ctx, TIMEOUT)).await;
        record_delete(&format!("delete the {}", K::KIND), result)
    }
}
