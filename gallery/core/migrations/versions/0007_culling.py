"""culling: marks, measures and stacks of photos, near-duplicates, caption shortcuts

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PICK = sa.Enum("pick", "reject", name="pick", native_enum=False, length=16)
LABEL = sa.Enum(
    "red", "yellow", "green", "blue", "purple", name="label", native_enum=False, length=16
)


def upgrade() -> None:
    op.create_table(
        "stacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("album_id", sa.Integer(), nullable=False),
        sa.Column("top_chosen", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["album_id"], ["albums.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_stacks_album_id"), "stacks", ["album_id"])
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pick", PICK, nullable=True))
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("label", LABEL, nullable=True))
        batch_op.add_column(sa.Column("phash", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("sharpness", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("exposure", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("stack_id", sa.Integer(), nullable=True))
        false = sa.false()
        batch_op.add_column(
            sa.Column("stack_top", sa.Boolean(), nullable=False, server_default=false)
        )
        batch_op.add_column(
            sa.Column("stack_fixed", sa.Boolean(), nullable=False, server_default=false)
        )
        batch_op.create_index(batch_op.f("ix_photos_stack_id"), ["stack_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_photos_stack_id_stacks", "stacks", ["stack_id"], ["id"], ondelete="SET NULL"
        )
    # The defaults only fill the rows already there; the models give new rows theirs.
    with op.batch_alter_table("photos", schema=None) as batch_op:
        for column in ("rating", "stack_top", "stack_fixed"):
            batch_op.alter_column(column, server_default=None)
    op.create_table(
        "near_duplicates",
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("duplicate_of", sa.Integer(), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("dismissed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["photo_id"], ["photos.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["duplicate_of"], ["photos.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("photo_id", "duplicate_of"),
    )
    op.create_index(op.f("ix_near_duplicates_duplicate_of"), "near_duplicates", ["duplicate_of"])
    op.create_table(
        "caption_shortcuts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )


def downgrade() -> None:
    op.drop_table("caption_shortcuts")
    op.drop_index(op.f("ix_near_duplicates_duplicate_of"), table_name="near_duplicates")
    op.drop_table("near_duplicates")
    with op.batch_alter_table("photos", schema=None) as batch_op:
        batch_op.drop_constraint("fk_photos_stack_id_stacks", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_photos_stack_id"))
        for column in ("stack_fixed", "stack_top", "stack_id", "exposure", "sharpness"):
            batch_op.drop_column(column)
        for column in ("phash", "label", "rating", "pick"):
            batch_op.drop_column(column)
    op.drop_index(op.f("ix_stacks_album_id"), table_name="stacks")
    op.drop_table("stacks")
