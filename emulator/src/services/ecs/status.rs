//! The statuses ECS keeps that its model leaves as plain strings (`Service.status`,
//! `Deployment.status`, `TaskSet.status`, `Cluster.status`), as enums whose JSON form is the wire
//! string. (The ones the model does define — rollout state, stability status, controller type —
//! come from the generated types.)

use crate::timeline::wire_enum;
use serde::{Deserialize, Serialize};

wire_enum!(
    /// A service: ACTIVE; DRAINING once deleted while its tasks stop; INACTIVE after.
    ServiceStatus {
        Active = "ACTIVE",
        Draining = "DRAINING",
        Inactive = "INACTIVE",
    }
);

wire_enum!(
    /// A deployment of an ECS-controller service: PRIMARY is the newest, ACTIVE older ones still
    /// running tasks, INACTIVE once they are gone.
    DeploymentStatus {
        Primary = "PRIMARY",
        Active = "ACTIVE",
        Inactive = "INACTIVE",
    }
);

wire_enum!(
    /// A task set of a CODE_DEPLOY or EXTERNAL service.
    TaskSetStatus {
        Primary = "PRIMARY",
        Active = "ACTIVE",
        Draining = "DRAINING",
    }
);

wire_enum!(
    /// A cluster: ACTIVE until DeleteCluster, INACTIVE after.
    ClusterStatus {
        Active = "ACTIVE",
        Inactive = "INACTIVE",
    }
);
