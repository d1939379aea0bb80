package contract

import (
	"github.com/trelab/airlock/backend/airlock"
	"github.com/trelab/airlock/backend/service"
)

// The request bodies the API decodes (docs/api.md), their own checks beyond the JSON shape
// (a required field, a non-empty list), and the session and error answers. Check runs once
// the body is decoded; a failure is CodeInvalid with a message naming the problem.

// LoginInput is the body of POST /api/v1/auth/login.
type LoginInput struct {
	Username string `json:"username"`
	Token    string `json:"token"`
}

// SessionOutput is the answer of login and me: the API's User (orgs always a list, maps
// always objects), never the domain record as it happens to be.
type SessionOutput struct {
	User      User   `json:"user"`
	CSRFToken string `json:"csrfToken"`
}

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the code and user-readable message of an error answer.
type ErrorDetail struct {
	Code    airlock.Code `json:"code"`
	Message string       `json:"message"`
}

// CreateRequestInput is the body of POST /requests.
type CreateRequestInput struct {
	Workspace string `json:"workspace"`
}

// FileSpec is one file to add to a request; an empty file type is OUTPUT, or SUPPORTING for
// a file that cannot be an output (the domain's rule).
type FileSpec struct {
	Path     string           `json:"path"`
	FileType airlock.FileType `json:"fileType"`
}

// AddFilesInput is the body of POST /requests/{id}/files.
type AddFilesInput struct {
	Group string     `json:"group"`
	Files []FileSpec `json:"files"`
}

// PathsInput is the body of the file update and withdraw routes.
type PathsInput struct {
	Paths []string `json:"paths"`
}

// PropertiesInput is the body of POST /requests/{id}/files/properties; an empty group or
// file type leaves it unchanged.
type PropertiesInput struct {
	Paths    []string         `json:"paths"`
	Group    string           `json:"group"`
	FileType airlock.FileType `json:"fileType"`
}

// GroupInput is the body of PATCH /requests/{id}/groups/{group}. Both fields are required:
// the group's context and controls are replaced together.
type GroupInput struct {
	Context  *string `json:"context"`
	Controls *string `json:"controls"`
}

// CommentInput is the body of POST /requests/{id}/groups/{group}/comments. An empty
// visibility is the first the caller may write (PRIVATE for reviewing checkers).
type CommentInput struct {
	Text       string             `json:"text"`
	Visibility airlock.Visibility `json:"visibility"`
}

// VoteInput is the body of POST /requests/{id}/votes. Acknowledgement is the note that
// approving a file with BLOCK warnings needs (the file's "approve" action says when).
type VoteInput struct {
	Paths           []string `json:"paths"`
	Vote            string   `json:"vote"`
	Acknowledgement string   `json:"acknowledgement"`
}

func needPaths(paths []string) error {
	if len(paths) == 0 {
		return airlock.Errorf(airlock.CodeInvalid, "Choose at least one file (paths is empty)")
	}
	return nil
}

// Check says what is missing from the body.
func (in *CreateRequestInput) Check() error {
	if in.Workspace == "" {
		return airlock.Errorf(airlock.CodeInvalid, "Say which workspace the request is for (workspace is empty)")
	}
	return nil
}

// Check says what is missing from the body.
func (in *AddFilesInput) Check() error {
	if len(in.Files) == 0 {
		return airlock.Errorf(airlock.CodeInvalid, "Choose at least one file (files is empty)")
	}
	return nil
}

// Check says what is missing from the body.
func (in *PathsInput) Check() error { return needPaths(in.Paths) }

// Check says what is missing from the body.
func (in *PropertiesInput) Check() error { return needPaths(in.Paths) }

// Check says what is missing from the body.
func (in *VoteInput) Check() error { return needPaths(in.Paths) }

// Check says what is missing from the body.
func (in *GroupInput) Check() error {
	if in.Context == nil || in.Controls == nil {
		return airlock.Errorf(airlock.CodeInvalid, "Send both context and controls")
	}
	return nil
}

// FileSpecs is the service's list of files to add.
func (in *AddFilesInput) FileSpecs() []service.FileSpec {
	out := make([]service.FileSpec, len(in.Files))
	for i, f := range in.Files {
		out[i] = service.FileSpec{Path: f.Path, FileType: f.FileType}
	}
	return out
}
