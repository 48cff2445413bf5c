//! Typed ids of the records that several features refer to.

crate::id_type!(
    /// A region: the district, a street/town (街镇) or a functional zone (功能区).
    RegionId
);
crate::id_type!(
    /// An industry (行业领域).
    IndustryId
);
crate::id_type!(
    /// An enterprise.
    EnterpriseId
);
crate::id_type!(
    /// A safety alliance (安全联盟).
    AllianceId
);
crate::id_type!(
    /// A user account.
    UserId
);
crate::id_type!(
    /// A hazard finding (隐患).
    FindingId
);
crate::id_type!(
    /// An uploaded file (photo or PDF).
    AttachmentId
);
crate::id_type!(
    /// A checklist template version (排查清单).
    ChecklistId
);
crate::id_type!(
    /// An item of a checklist template version.
    ItemId
);
crate::id_type!(
    /// A mutual-inspection batch (互查批次).
    BatchId
);
crate::id_type!(
    /// One inspection of a batch: an inspecting enterprise at a target enterprise.
    InspectionId
);
crate::id_type!(
    /// An alliance event: a training, a warning-education session or an experience exchange.
    EventId
);
