//! Velero versions and the rules that changed between them, in one table.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct VeleroVersion {
    pub major: u32,
    pub minor: u32,
}

impl VeleroVersion {
    /// The newest release the format reference describes.
    pub const LATEST: VeleroVersion = VeleroVersion {
        major: 1,
        minor: 18,
    };
    pub const OLDEST: VeleroVersion = VeleroVersion { major: 1, minor: 0 };

    pub const fn new(major: u32, minor: u32) -> Self {
        VeleroVersion { major, minor }
    }

    pub fn has(self, feature: Feature) -> bool {
        self >= feature.since()
    }
}

impl Default for VeleroVersion {
    fn default() -> Self {
        VeleroVersion::LATEST
    }
}

/// A `--velero-version` veloscope cannot model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("Velero {0} is older than 1.0, which veloscope does not model")]
    TooOld(VeleroVersion),
    #[error(
        "Velero {0} is newer than {latest}, the latest release veloscope models (its rules may differ); use --velero-version {latest} to plan with {latest}'s rules",
        latest = VeleroVersion::LATEST
    )]
    TooNew(VeleroVersion),
    #[error("invalid Velero version {0:?}: expected MAJOR.MINOR, e.g. {latest}", latest = VeleroVersion::LATEST)]
    Invalid(String),
}

impl FromStr for VeleroVersion {
    type Err = VersionError;

    /// `1.18`, `v1.18`, `1.18.1` (the patch level does not change rules).
    fn from_str(s: &str) -> Result<Self, VersionError> {
        let t = s.trim().trim_start_matches('v');
        let mut parts = t.split('.');
        let parse = |p: Option<&str>| p.and_then(|x| x.parse::<u32>().ok());
        match (parse(parts.next()), parse(parts.next())) {
            (Some(major), Some(minor)) if parts.clone().all(|p| p.parse::<u32>().is_ok()) => {
                let v = VeleroVersion { major, minor };
                if v < VeleroVersion::OLDEST {
                    return Err(VersionError::TooOld(v));
                }
                if v > VeleroVersion::LATEST {
                    return Err(VersionError::TooNew(v));
                }
                Ok(v)
            }
            _ => Err(VersionError::Invalid(s.to_string())),
        }
    }
}

impl fmt::Display for VeleroVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A behaviour that exists from a given Velero release on (format reference, "since" notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// Unresolvable resource names stay as literal patterns instead of being dropped (v1.4.0).
    KeepUnresolvableNames,
    /// `includedClusterScopedResources` and the other scoped filters (v1.11).
    ScopedResourceFilters,
    /// `volumeTypes` volume-policy condition (v1.13).
    VolumeTypesCondition,
    /// `pvcLabels` volume-policy condition (v1.16).
    PvcLabelsCondition,
    /// VolumeSnapshot/VolumeSnapshotContent auto-excludes in the stored spec (v1.17).
    AutoExcludeSnapshots,
    /// `includeExcludePolicy` in resource policies (v1.17).
    IncludeExcludePolicy,
    /// Namespace wildcard expansion against the cluster's namespaces (v1.18).
    ExpandNamespaceWildcards,
    /// `pvcPhase` volume-policy condition (v1.18).
    PvcPhaseCondition,
    /// The `custom` volume action (after v1.18.1).
    CustomVolumeAction,
}

impl Feature {
    pub const fn since(self) -> VeleroVersion {
        match self {
            Feature::KeepUnresolvableNames => VeleroVersion::new(1, 4),
            Feature::ScopedResourceFilters => VeleroVersion::new(1, 11),
            Feature::VolumeTypesCondition => VeleroVersion::new(1, 13),
            Feature::PvcLabelsCondition => VeleroVersion::new(1, 16),
            Feature::AutoExcludeSnapshots | Feature::IncludeExcludePolicy => {
                VeleroVersion::new(1, 17)
            }
            Feature::ExpandNamespaceWildcards | Feature::PvcPhaseCondition => {
                VeleroVersion::new(1, 18)
            }
            Feature::CustomVolumeAction => VeleroVersion::new(1, 19),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_features() {
        let v: VeleroVersion = "1.16".parse().unwrap();
        assert!(!v.has(Feature::AutoExcludeSnapshots));
        assert!(v.has(Feature::PvcLabelsCondition));
        assert!(VeleroVersion::LATEST.has(Feature::ExpandNamespaceWildcards));
        assert!(!VeleroVersion::LATEST.has(Feature::CustomVolumeAction));
        assert_eq!(
            "v1.18.1".parse::<VeleroVersion>().unwrap(),
            VeleroVersion::LATEST
        );
        assert!("1".parse::<VeleroVersion>().is_err());
        assert!("0.11".parse::<VeleroVersion>().is_err());
        assert!("1.19".parse::<VeleroVersion>().is_err());
        assert!("2.0".parse::<VeleroVersion>().is_err());
    }
}
