//! Data source RPCs: validate and read.

use super::codec::{decode, encode};
use super::{diagnostics_to_proto, ProviderService};
use crate::diag::{Diagnostic, Diagnostics};
use crate::proto::tfplugin6 as pb;
use crate::provider::{Provider, ReadDataRequest, ReadResponse};

pub(super) async fn validate<P: Provider>(
    service: &ProviderService<P>,
    type_name: &str,
    config: Option<&pb::DynamicValue>,
) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let entry = match service.data_source(type_name) {
        Ok(entry) => entry,
        Err(diagnostic) => return diagnostic.into(),
    };
    match decode(config, &entry.ty, "data source configuration") {
        Ok(config) => {
            diagnostics.append(entry.schema.block.validate_config(&config));
            diagnostics.append(entry.data_source.validate(&config).await);
        }
        Err(diagnostic) => diagnostics.push(diagnostic),
    }
    diagnostics
}

pub(super) async fn read<P: Provider>(
    service: &ProviderService<P>,
    request: pb::read_data_source::Request,
) -> pb::read_data_source::Response {
    let fail = |diagnostics: &Diagnostics| pb::read_data_source::Response {
        state: None,
        diagnostics: diagnostics_to_proto(diagnostics),
    };
    let entry = match service.data_source(&request.type_name) {
        Ok(entry) => entry,
        Err(diagnostic) => return fail(&diagnostic.into()),
    };
    let prepared = (|| {
        let config = decode(
            request.config.as_ref(),
            &entry.ty,
            "data source configuration",
        )?;
        let data = service.configured()?;
        Ok::<_, Diagnostic>((config, data))
    })();
    let (config, data) = match prepared {
        Ok(prepared) => prepared,
        Err(diagnostic) => return fail(&diagnostic.into()),
    };
    let ctx = service.context(&data, None);
    let mut response = ReadResponse {
        state: config.clone(),
        ..ReadResponse::default()
    };
    entry
        .data_source
        .read(&ctx, ReadDataRequest { config }, &mut response)
        .await;
    let mut diagnostics = response.diagnostics;
    if diagnostics.has_errors() {
        return fail(&diagnostics);
    }
    // Terraform rejects a null or partly unknown data source result; say so precisely.
    if response.state.is_null() || !response.state.is_wholly_known() {
        diagnostics.error(
            "Provider produced an incomplete data source result",
            format!(
                "{} returned a result that is null or still contains unknown values. \
                 This is a bug in the provider.",
                request.type_name
            ),
        );
        return fail(&diagnostics);
    }
    match encode(&response.state, &entry.ty, "data source result") {
        Ok(state) => pb::read_data_source::Response {
            state: Some(state),
            diagnostics: diagnostics_to_proto(&diagnostics),
        },
        Err(diagnostic) => {
            diagnostics.push(diagnostic);
            fail(&diagnostics)
        }
    }
}
