"""the plan's ledgers: patent, pledge, insurance, navigation and agency detail tables;
the enterprise's 知识产权优势企业培育库 flag and year

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-05 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import xingan_desk.storage.types  # noqa: F401  (custom column types)


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agency_detail',
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('agency_code', sa.String(length=20), nullable=True),
    sa.Column('licence_no', sa.String(length=40), nullable=True),
    sa.Column('licensed_on', sa.Date(), nullable=True),
    sa.Column('is_branch', sa.Boolean(), nullable=True),
    sa.Column('parent_name', sa.String(length=100), nullable=True),
    sa.Column('county_code', sa.String(length=32), nullable=True),
    sa.Column('address', sa.String(length=200), nullable=True),
    sa.Column('resident_agents', sa.Integer(), nullable=True),
    sa.Column('serving_since', sa.Date(), nullable=True),
    sa.Column('left_on', sa.Date(), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_agency_detail_record_id_record')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_agency_detail'))
    )
    op.create_table('insurance_detail',
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('insured_name', sa.String(length=100), nullable=True),
    sa.Column('insured_uscc', sa.String(length=18), nullable=True),
    sa.Column('county_code', sa.String(length=32), nullable=True),
    sa.Column('contact_name', sa.String(length=50), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('insurer', sa.String(length=100), nullable=True),
    sa.Column('product', sa.String(length=32), nullable=True),
    sa.Column('policy_no', sa.String(length=40), nullable=True),
    sa.Column('ip_numbers', sa.String(length=500), nullable=True),
    sa.Column('sum_insured_wan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('premium_wan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('subsidy_wan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('claims', sa.JSON(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_insurance_detail_record_id_record')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_insurance_detail'))
    )
    op.create_table('navigation_detail',
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('nav_type', sa.String(length=32), nullable=True),
    sa.Column('industry', sa.String(length=32), nullable=True),
    sa.Column('county_code', sa.String(length=32), nullable=True),
    sa.Column('lead_unit', sa.String(length=100), nullable=True),
    sa.Column('partners', sa.String(length=300), nullable=True),
    sa.Column('budget_wan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('progress', sa.String(length=32), nullable=True),
    sa.Column('deliverables', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_navigation_detail_record_id_record')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_navigation_detail'))
    )
    op.create_table('patent_detail',
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('patent_no', sa.String(length=20), nullable=True),
    sa.Column('patent_type', sa.String(length=32), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('patentee_name', sa.String(length=100), nullable=True),
    sa.Column('patentee_uscc', sa.String(length=18), nullable=True),
    sa.Column('co_patentees', sa.String(length=300), nullable=True),
    sa.Column('county_code', sa.String(length=32), nullable=True),
    sa.Column('contact_name', sa.String(length=50), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('filed_on', sa.Date(), nullable=True),
    sa.Column('granted_on', sa.Date(), nullable=True),
    sa.Column('ipc_main', sa.String(length=30), nullable=True),
    sa.Column('legal_status', sa.String(length=32), nullable=True),
    sa.Column('lapsed_on', sa.Date(), nullable=True),
    sa.Column('years_maintained', sa.Integer(), nullable=True),
    sa.Column('sei_field', sa.String(length=32), nullable=True),
    sa.Column('overseas_family', sa.JSON(), nullable=True),
    sa.Column('pledges', sa.JSON(), nullable=True),
    sa.Column('awards', sa.JSON(), nullable=True),
    sa.Column('hv_derived', sa.JSON(), nullable=True),
    sa.Column('hv_confirmed', sa.JSON(), nullable=True),
    sa.Column('hv_confirmed_on', sa.Date(), nullable=True),
    sa.Column('in_pool', sa.Boolean(), nullable=True),
    sa.Column('pool_year', sa.Integer(), nullable=True),
    sa.Column('portfolio', sa.String(length=100), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_patent_detail_record_id_record')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_patent_detail'))
    )
    op.create_table('pledge_detail',
    sa.Column('record_id', sa.String(length=36), nullable=False),
    sa.Column('surveyed_on', sa.Date(), nullable=True),
    sa.Column('enterprise_name', sa.String(length=100), nullable=True),
    sa.Column('enterprise_uscc', sa.String(length=18), nullable=True),
    sa.Column('county_code', sa.String(length=32), nullable=True),
    sa.Column('contact_name', sa.String(length=50), nullable=True),
    sa.Column('contact_phone', sa.String(length=30), nullable=True),
    sa.Column('amount_wanted_wan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('ip_offered', sa.String(length=500), nullable=True),
    sa.Column('preferred_bank', sa.String(length=100), nullable=True),
    sa.Column('purpose', sa.String(length=200), nullable=True),
    sa.Column('matched_on', sa.Date(), nullable=True),
    sa.Column('matched_bank', sa.String(length=100), nullable=True),
    sa.Column('pledgee', sa.String(length=100), nullable=True),
    sa.Column('amount_wan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('term_months', sa.Integer(), nullable=True),
    sa.Column('registration_no', sa.String(length=40), nullable=True),
    sa.Column('registered_on', sa.Date(), nullable=True),
    sa.Column('pledged_patents', sa.String(length=500), nullable=True),
    sa.Column('pledged_trademarks', sa.String(length=500), nullable=True),
    sa.Column('loan_on', sa.Date(), nullable=True),
    sa.Column('loan_wan', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('released_on', sa.Date(), nullable=True),
    sa.Column('close_reason', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['record_id'], ['record.id'], name=op.f('fk_pledge_detail_record_id_record')),
    sa.PrimaryKeyConstraint('record_id', name=op.f('pk_pledge_detail'))
    )
    with op.batch_alter_table('enterprise_detail', schema=None) as batch_op:
        batch_op.add_column(sa.Column('advantage_pool', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('advantage_pool_year', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('enterprise_detail', schema=None) as batch_op:
        batch_op.drop_column('advantage_pool_year')
        batch_op.drop_column('advantage_pool')

    op.drop_table('pledge_detail')
    op.drop_table('patent_detail')
    op.drop_table('navigation_detail')
    op.drop_table('insurance_detail')
    op.drop_table('agency_detail')
