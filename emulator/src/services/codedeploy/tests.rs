//! Tests of CodeDeploy.
