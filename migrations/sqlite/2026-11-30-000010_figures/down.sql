DROP INDEX findings_closed_at;
DROP INDEX events_starts;
DROP INDEX inspection_batches_starts;
DROP TABLE open_finding_figures;
DROP TABLE finding_figures;
