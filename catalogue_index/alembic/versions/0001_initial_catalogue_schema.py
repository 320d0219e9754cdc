"""Initial catalogue schema: providers, offers with every Annex I element, pathways, recognition statements.

Revision ID: 0001
Revises: 
Create Date: 2026-11-24
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0001'
down_revision: Union[str, None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('import_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=20), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs'))
    )
    op.create_table('providers',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('sample', sa.Boolean(), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('short_name', sa.String(length=60), nullable=True),
    sa.Column('description', sa.JSON(), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('region', sa.String(length=200), nullable=True),
    sa.Column('provider_type', sa.String(length=40), nullable=False),
    sa.Column('qa_status', sa.String(length=40), nullable=True),
    sa.Column('accrediting_body', sa.String(length=300), nullable=True),
    sa.Column('deqar_id', sa.String(length=40), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('original_language', sa.String(length=2), nullable=False),
    sa.CheckConstraint("provider_type IS NULL OR provider_type IN ('higher_education', 'vet', 'employer', 'other')", name=op.f('ck_providers_provider_type')),
    sa.CheckConstraint("qa_status IS NULL OR qa_status IN ('deqar_listed', 'accredited', 'certified', 'internal_only')", name=op.f('ck_providers_qa_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_providers'))
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_providers_country'), ['country'], unique=False)

    op.create_table('offers',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('sample', sa.Boolean(), nullable=False),
    sa.Column('provider_id', sa.String(length=120), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=True),
    sa.Column('ects', sa.Float(), nullable=True),
    sa.Column('workload_hours', sa.Float(), nullable=True),
    sa.Column('eqf_level', sa.Integer(), nullable=True),
    sa.Column('nqf_level', sa.String(length=200), nullable=True),
    sa.Column('cycle', sa.String(length=40), nullable=True),
    sa.Column('learning_setting', sa.String(length=40), nullable=True),
    sa.Column('assessment_type', sa.String(length=40), nullable=True),
    sa.Column('assessment_description', sa.JSON(), nullable=True),
    sa.Column('mode', sa.String(length=20), nullable=True),
    sa.Column('work_based', sa.Boolean(), nullable=False),
    sa.Column('qa_type', sa.String(length=40), nullable=True),
    sa.Column('qa_description', sa.JSON(), nullable=True),
    sa.Column('prerequisites', sa.JSON(), nullable=True),
    sa.Column('supervision_verification', sa.String(length=40), nullable=True),
    sa.Column('stackability', sa.String(length=20), nullable=True),
    sa.Column('stackable_towards', sa.JSON(), nullable=True),
    sa.Column('further_information', sa.JSON(), nullable=True),
    sa.Column('self_paced', sa.Boolean(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('duration_weeks', sa.Float(), nullable=True),
    sa.Column('price_free', sa.Boolean(), nullable=True),
    sa.Column('price_amount', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=True),
    sa.Column('price_currency', sa.String(length=3), nullable=True),
    sa.Column('price_note', sa.JSON(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('original_language', sa.String(length=2), nullable=False),
    sa.CheckConstraint("assessment_type IS NULL OR assessment_type IN ('written_exam', 'oral_exam', 'online_exam', 'practical_assessment', 'project', 'portfolio', 'assignment', 'presentation', 'continuous_assessment', 'artefact_assessment', 'attendance_only', 'other')", name=op.f('ck_offers_assessment_type')),
    sa.CheckConstraint("cycle IS NULL OR cycle IN ('short_cycle', 'first_cycle', 'second_cycle', 'third_cycle')", name=op.f('ck_offers_cycle')),
    sa.CheckConstraint("learning_setting IS NULL OR learning_setting IN ('formal', 'non_formal')", name=op.f('ck_offers_learning_setting')),
    sa.CheckConstraint("mode IS NULL OR mode IN ('online', 'onsite', 'blended')", name=op.f('ck_offers_mode')),
    sa.CheckConstraint("qa_type IS NULL OR qa_type IN ('internal_quality_assurance', 'external_quality_assurance', 'programme_accreditation', 'institutional_accreditation', 'industry_certification', 'other')", name=op.f('ck_offers_qa_type')),
    sa.CheckConstraint("stackability IS NULL OR stackability IN ('stand_alone', 'stackable')", name=op.f('ck_offers_stackability')),
    sa.CheckConstraint("supervision_verification IS NULL OR supervision_verification IN ('unsupervised_no_id_verification', 'unsupervised_with_id_verification', 'supervised_no_id_verification', 'supervised_with_id_verification')", name=op.f('ck_offers_supervision_verification')),
    sa.CheckConstraint('ects IS NULL OR ects > 0', name=op.f('ck_offers_ects')),
    sa.CheckConstraint('eqf_level IS NULL OR (eqf_level BETWEEN 1 AND 8)', name=op.f('ck_offers_eqf_level')),
    sa.CheckConstraint('price_free IS NOT NULL OR (price_amount IS NULL AND price_currency IS NULL)', name=op.f('ck_offers_price')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_offers_provider_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offers'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offers_eqf_level'), ['eqf_level'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_mode'), ['mode'], unique=False)
        batch_op.create_index(batch_op.f('ix_offers_provider_id'), ['provider_id'], unique=False)

    op.create_table('pathways',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('sample', sa.Boolean(), nullable=False),
    sa.Column('title', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=True),
    sa.Column('awarding_body_id', sa.String(length=120), nullable=False),
    sa.Column('eqf_level', sa.Integer(), nullable=True),
    sa.Column('ects', sa.Float(), nullable=True),
    sa.Column('entry_requirements', sa.JSON(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('original_language', sa.String(length=2), nullable=False),
    sa.CheckConstraint('eqf_level IS NULL OR (eqf_level BETWEEN 1 AND 8)', name=op.f('ck_pathways_eqf_level')),
    sa.ForeignKeyConstraint(['awarding_body_id'], ['providers.id'], name=op.f('fk_pathways_awarding_body_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathways'))
    )
    with op.batch_alter_table('pathways', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathways_awarding_body_id'), ['awarding_body_id'], unique=False)

    op.create_table('learning_outcomes',
    sa.Column('offer_id', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('text', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_learning_outcomes_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'position', name=op.f('pk_learning_outcomes'))
    )
    op.create_table('offer_awarding_bodies',
    sa.Column('offer_id', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_awarding_bodies_offer_id_offers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_offer_awarding_bodies_provider_id_providers')),
    sa.PrimaryKeyConstraint('offer_id', 'position', name=op.f('pk_offer_awarding_bodies'))
    )
    with op.batch_alter_table('offer_awarding_bodies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_awarding_bodies_provider_id'), ['provider_id'], unique=False)

    op.create_table('offer_fields',
    sa.Column('offer_id', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=4), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_fields_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'position', name=op.f('pk_offer_fields'))
    )
    with op.batch_alter_table('offer_fields', schema=None) as batch_op:
        batch_op.create_index('ix_offer_fields_code', ['code'], unique=False)

    op.create_table('offer_languages',
    sa.Column('offer_id', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_languages_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'position', name=op.f('pk_offer_languages'))
    )
    with op.batch_alter_table('offer_languages', schema=None) as batch_op:
        batch_op.create_index('ix_offer_languages_language', ['language'], unique=False)

    op.create_table('offer_prerequisites',
    sa.Column('offer_id', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('required_offer_id', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_prerequisites_offer_id_offers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['required_offer_id'], ['offers.id'], name=op.f('fk_offer_prerequisites_required_offer_id_offers')),
    sa.PrimaryKeyConstraint('offer_id', 'position', name=op.f('pk_offer_prerequisites'))
    )
    with op.batch_alter_table('offer_prerequisites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_prerequisites_required_offer_id'), ['required_offer_id'], unique=False)

    op.create_table('offer_skills',
    sa.Column('offer_id', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.JSON(), nullable=False),
    sa.Column('esco_uri', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_offer_skills_offer_id_offers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('offer_id', 'position', name=op.f('pk_offer_skills'))
    )
    with op.batch_alter_table('offer_skills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offer_skills_esco_uri'), ['esco_uri'], unique=False)

    op.create_table('pathway_prerequisites',
    sa.Column('pathway_id', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.String(length=120), nullable=False),
    sa.Column('required_offer_id', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_pathway_prerequisites_offer_id_offers')),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_pathway_prerequisites_pathway_id_pathways'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['required_offer_id'], ['offers.id'], name=op.f('fk_pathway_prerequisites_required_offer_id_offers')),
    sa.PrimaryKeyConstraint('pathway_id', 'position', name=op.f('pk_pathway_prerequisites'))
    )
    op.create_table('pathway_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('pathway_id', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=30), nullable=False),
    sa.Column('n', sa.Integer(), nullable=True),
    sa.Column('min_ects', sa.Float(), nullable=True),
    sa.Column('label', sa.JSON(), nullable=True),
    sa.CheckConstraint("(rule = 'any_n_of') = (n IS NOT NULL)", name=op.f('ck_pathway_rules_n')),
    sa.CheckConstraint("(rule = 'min_ects_from_set') = (min_ects IS NOT NULL)", name=op.f('ck_pathway_rules_min_ects')),
    sa.CheckConstraint("rule IS NULL OR rule IN ('all_of', 'any_n_of', 'min_ects_from_set')", name=op.f('ck_pathway_rules_rule')),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_pathway_rules_pathway_id_pathways'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_rules'))
    )
    with op.batch_alter_table('pathway_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_rules_pathway_id'), ['pathway_id'], unique=False)

    op.create_table('recognition_statements',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('sample', sa.Boolean(), nullable=False),
    sa.Column('recognised_by_id', sa.String(length=120), nullable=False),
    sa.Column('offer_id', sa.String(length=120), nullable=True),
    sa.Column('pathway_id', sa.String(length=120), nullable=True),
    sa.Column('recognised_as', sa.JSON(), nullable=False),
    sa.Column('ects_recognised', sa.Float(), nullable=True),
    sa.Column('procedure', sa.String(length=40), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('original_language', sa.String(length=2), nullable=False),
    sa.CheckConstraint("procedure IS NULL OR procedure IN ('credit_transfer', 'rpl', 'foreign_credential_recognition')", name=op.f('ck_recognition_statements_procedure')),
    sa.CheckConstraint('(offer_id IS NULL) <> (pathway_id IS NULL)', name=op.f('ck_recognition_statements_subject')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_recognition_statements_offer_id_offers')),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_recognition_statements_pathway_id_pathways')),
    sa.ForeignKeyConstraint(['recognised_by_id'], ['providers.id'], name=op.f('fk_recognition_statements_recognised_by_id_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_statements'))
    )
    with op.batch_alter_table('recognition_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recognition_statements_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recognition_statements_pathway_id'), ['pathway_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recognition_statements_recognised_by_id'), ['recognised_by_id'], unique=False)

    op.create_table('pathway_rule_offers',
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_pathway_rule_offers_offer_id_offers')),
    sa.ForeignKeyConstraint(['rule_id'], ['pathway_rules.id'], name=op.f('fk_pathway_rule_offers_rule_id_pathway_rules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rule_id', 'position', name=op.f('pk_pathway_rule_offers'))
    )
    with op.batch_alter_table('pathway_rule_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_rule_offers_offer_id'), ['offer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pathway_rule_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_rule_offers_offer_id'))

    op.drop_table('pathway_rule_offers')
    with op.batch_alter_table('recognition_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recognition_statements_recognised_by_id'))
        batch_op.drop_index(batch_op.f('ix_recognition_statements_pathway_id'))
        batch_op.drop_index(batch_op.f('ix_recognition_statements_offer_id'))

    op.drop_table('recognition_statements')
    with op.batch_alter_table('pathway_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_rules_pathway_id'))

    op.drop_table('pathway_rules')
    op.drop_table('pathway_prerequisites')
    with op.batch_alter_table('offer_skills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_skills_esco_uri'))

    op.drop_table('offer_skills')
    with op.batch_alter_table('offer_prerequisites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_prerequisites_required_offer_id'))

    op.drop_table('offer_prerequisites')
    with op.batch_alter_table('offer_languages', schema=None) as batch_op:
        batch_op.drop_index('ix_offer_languages_language')

    op.drop_table('offer_languages')
    with op.batch_alter_table('offer_fields', schema=None) as batch_op:
        batch_op.drop_index('ix_offer_fields_code')

    op.drop_table('offer_fields')
    with op.batch_alter_table('offer_awarding_bodies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offer_awarding_bodies_provider_id'))

    op.drop_table('offer_awarding_bodies')
    op.drop_table('learning_outcomes')
    with op.batch_alter_table('pathways', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathways_awarding_body_id'))

    op.drop_table('pathways')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offers_provider_id'))
        batch_op.drop_index(batch_op.f('ix_offers_mode'))
        batch_op.drop_index(batch_op.f('ix_offers_eqf_level'))

    op.drop_table('offers')
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_providers_country'))

    op.drop_table('providers')
    op.drop_table('import_runs')
