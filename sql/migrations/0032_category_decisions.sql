-- Which decided a conversation's category (issue 20): the admins' rules (which of them), the
-- category model (its version and probability), a web form's topic, or an agent. And the
-- probability a store's model must reach before its guess is used.

ALTER TABLE conversations
    ADD COLUMN category_decided_by    text CHECK (category_decided_by IN ('rules', 'model', 'topic', 'agent')),
    ADD COLUMN category_rule_ids      bigint[],
    ADD COLUMN category_model_version bigint,
    ADD COLUMN category_probability   double precision;

ALTER TABLE stores
    ADD COLUMN category_model_threshold double precision NOT NULL DEFAULT 0.6
        CONSTRAINT stores_category_model_threshold_range CHECK (category_model_threshold > 0 AND category_model_threshold <= 1);
